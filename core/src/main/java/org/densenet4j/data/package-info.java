/**
 * Datasets and the input pipeline: IDX (MNIST, Fashion-MNIST), CIFAR-10/100 binaries, image folders,
 * named datasets with a search order and verified downloads, normalisation, the paper's "+"
 * augmentation, and a batch loader that prepares batches off the training thread.
 */
package org.densenet4j.data;
