/**
 * File and resource mechanics every other package shares and that depend on nothing of densenet4j: atomic
 * writes, and the machine's memory budget checked before large allocations.
 */
package org.densenet4j.base;
