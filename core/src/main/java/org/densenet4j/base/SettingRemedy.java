package org.densenet4j.base;

/** An error whose remedy is changing one {@link Setting}; its message says how in the library's words. */
public interface SettingRemedy {

    /** The setting that gets past this error. */
    Setting remedy();

    /** The first remedy in {@code e} or its causes, or null. */
    static Setting of(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SettingRemedy r) {
                return r.remedy();
            }
        }
        return null;
    }
}
