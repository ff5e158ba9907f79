/**
 * The HTTP service: a JSON prediction API on an embedded Javalin (Jetty) server, with concurrent
 * requests batched into one forward pass, and a web page that shows predictions as a bar chart.
 */
package org.densenet4j.serve;
