/**
 * Running trained models: what a trained model is ({@link org.densenet4j.infer.ModelSpec}), evaluation
 * with top-k accuracy and confusion matrices, and an image classifier returning DJL {@code Classifications}.
 */
package org.densenet4j.infer;
