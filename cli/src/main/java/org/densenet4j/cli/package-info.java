/** The {@code densenet4j} command: one class per verb, shared options as mixins, exit codes 0/1/2. */
package org.densenet4j.cli;
