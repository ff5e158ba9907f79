/**
 * PyTorch interoperability: a safe reader and a writer for {@code torch.save} zip files, and the name
 * mapping between densenet4j parameters and the torchvision and pytorch-cifar layouts.
 */
package org.densenet4j.io;
