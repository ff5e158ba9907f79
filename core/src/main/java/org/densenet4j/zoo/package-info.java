/**
 * DJL model-zoo integration: densenet4j models load through {@code Criteria} / {@code ZooModel} /
 * {@code Predictor<Image, Classifications>}, with group id {@code org.densenet4j}.
 */
package org.densenet4j.zoo;
