/**
 * Training with the paper's recipe: Nesterov SGD, learning-rate schedules, the training loop, its forward passes
 * (float32, memory-efficient, bf16 mixed precision), metrics and atomic checkpoints that make a killed run resumable.
 */
package org.densenet4j.train;
