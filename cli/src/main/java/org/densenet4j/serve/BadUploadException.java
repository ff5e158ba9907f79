package org.densenet4j.serve;

/** An upload the service refuses, with the HTTP status to answer. */
public final class BadUploadException extends Exception {

    private final int status;

    public BadUploadException(int status, String message) {
        super(message);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
