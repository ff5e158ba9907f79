package org.densenet4j.data;

import java.net.URI;

/**
 * A file to download, with the MD5 its publisher lists for it.
 *
 * @param url where to get it
 * @param md5 the published checksum, lower-case hex
 * @param archive true for a {@code .tar.gz} whose regular files are extracted, flattened, into the
 *     dataset folder
 */
public record RemoteFile(URI url, String md5, boolean archive) {

    /** The file name at the end of the URL. */
    public String fileName() {
        String path = url.getPath();
        return path.substring(path.lastIndexOf('/') + 1);
    }
}
