package org.densenet4j.serve;

import java.util.concurrent.ThreadFactory;

/** Threads of the service's own pools: daemons, so that a pool never keeps the JVM alive after the server stops. */
final class DaemonThreads {

    private DaemonThreads() {}

    /** A factory of daemon threads named {@code name}. */
    static ThreadFactory named(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
