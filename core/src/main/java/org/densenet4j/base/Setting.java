package org.densenet4j.base;

/**
 * A setting a user can change to get past an error. The library's messages say what to do in these words; a
 * front end that has its own name for the setting (the command line's flags) adds it ({@link SettingRemedy}).
 */
public enum Setting {
    /** The folder a dataset is read from. */
    DATA_FOLDER,
    /** The network preset a weights file holds. */
    MODEL,
    /** Loading weights that do not fit exactly, with warnings. */
    NON_STRICT,
    /** The precision inference or training computes in. */
    PRECISION
}
