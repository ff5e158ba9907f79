/**
 * densenet4j's own files: training checkpoints ({@link org.densenet4j.io.CheckpointArchive}), the one reader that
 * opens any model file a user names, whatever its format ({@link org.densenet4j.io.ModelFiles}), NumPy's
 * {@code .npy} arrays ({@link org.densenet4j.io.NpyFile}), and a model's int8 calibration stored beside it ({@link
 * org.densenet4j.io.Int8CalibrationFile}), checked against the weights by {@link org.densenet4j.io.ModelDigest}.
 */
package org.densenet4j.io;
