package org.densenet4j.base;

/** A request that cannot go on without a {@link Setting} the caller left out or set wrong. */
public final class MissingSettingException extends IllegalArgumentException implements SettingRemedy {

    private final Setting remedy;

    /** {@code message} says what is wrong and what to set. */
    public MissingSettingException(Setting remedy, String message) {
        super(message);
        this.remedy = remedy;
    }

    @Override
    public Setting remedy() {
        return remedy;
    }
}
