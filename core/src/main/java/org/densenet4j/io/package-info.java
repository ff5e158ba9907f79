/**
 * densenet4j's own files: training checkpoints ({@link org.densenet4j.io.CheckpointArchive}), the one reader that
 * opens any model file a user names, whatever its format ({@link org.densenet4j.io.ModelFiles}), and NumPy's
 * {@code .npy} arrays ({@link org.densenet4j.io.NpyFile}).
 */
package org.densenet4j.io;
