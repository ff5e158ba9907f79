package org.densenet4j.data;

import java.util.Locale;

/** Which parts of the training augmentation a run uses: random crops, horizontal flips, both or neither. */
public enum AugmentationKind {
    CROP_FLIP("crop,flip"),
    CROP("crop"),
    FLIP("flip"),
    NONE("none");

    private final String cliName;

    AugmentationKind(String cliName) {
        this.cliName = cliName;
    }

    /** The command line's name: crop,flip, crop, flip or none. */
    public String cliName() {
        return cliName;
    }

    public boolean crops() {
        return this == CROP_FLIP || this == CROP;
    }

    public boolean flips() {
        return this == CROP_FLIP || this == FLIP;
    }

    /**
     * Parses crop,flip (also flip,crop), crop, flip or none.
     *
     * @throws IllegalArgumentException naming the value and the choices
     */
    public static AugmentationKind parse(String value) {
        String v = value.trim().toLowerCase(Locale.ROOT).replace(" ", "");
        if (v.equals("flip,crop")) {
            return CROP_FLIP;
        }
        for (AugmentationKind k : values()) {
            if (k.cliName.equals(v)) {
                return k;
            }
        }
        throw new IllegalArgumentException("augmentation " + value + ": expected crop,flip, crop, flip or none");
    }
}
