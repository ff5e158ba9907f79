/**
 * File and resource mechanics every other package shares and that depend on nothing of densenet4j: atomic
 * writes, the machine's memory budget checked before large allocations, and text from files made safe to quote
 * (short, escaped) and JSON from files read without ambiguity ({@link org.densenet4j.base.StrictJson}).
 */
package org.densenet4j.base;
