package org.densenet4j.data;

import org.densenet4j.base.Setting;
import org.densenet4j.base.SettingRemedy;

/** A dataset in none of the places it was looked for; the message names them and how to get it. */
public final class DatasetNotFoundException extends InvalidDatasetException implements SettingRemedy {

    public DatasetNotFoundException(String message) {
        super(message);
    }

    @Override
    public Setting remedy() {
        return Setting.DATA_FOLDER;
    }
}
