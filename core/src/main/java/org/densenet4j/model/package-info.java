/**
 * The DenseNet family of Huang et al. (CVPR 2017) as DJL {@link ai.djl.nn.Block}s.
 *
 * <p>A {@link org.densenet4j.model.DenseNetConfig} describes one network as pure data; {@link
 * org.densenet4j.model.Presets} names the configurations of the paper, torchvision and the blog code;
 * {@link org.densenet4j.model.DenseNet} assembles the stages ({@link org.densenet4j.model.Stem}, {@link
 * org.densenet4j.model.DenseBlock} of {@link org.densenet4j.model.DenseLayer}s, {@link
 * org.densenet4j.model.Transition}, {@link org.densenet4j.model.Head}) in one loop that owns all channel
 * arithmetic; {@link org.densenet4j.model.ModelSummary} reports shapes, parameters and MACs per stage.
 */
package org.densenet4j.model;
