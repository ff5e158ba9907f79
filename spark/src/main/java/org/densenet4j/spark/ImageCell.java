package org.densenet4j.spark;

/**
 * One input image as an executor sees it before decoding.
 *
 * @param path its path, or null when the table gave none
 * @param content its bytes from the table, or null to read it from {@code path}
 * @param problem why it cannot be classified (then it becomes an error row), or null
 */
record ImageCell(String path, byte[] content, String problem) {}
