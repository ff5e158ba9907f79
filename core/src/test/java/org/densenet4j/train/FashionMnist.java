package org.densenet4j.train;

import java.io.IOException;
import java.nio.file.Path;
import org.densenet4j.data.DatasetCatalog;
import org.densenet4j.data.DatasetLocator;
import org.densenet4j.data.DatasetSplits;
import org.densenet4j.data.Downloader;

/** Real Fashion-MNIST from the Debian package dataset-fashion-mnist, which .ci/run installs. */
public final class FashionMnist {

    private static DatasetSplits cached;

    private FashionMnist() {}

    public static synchronized DatasetSplits splits(int train, int test) throws IOException {
        if (cached == null) {
            DatasetLocator locator = new DatasetLocator(
                    DatasetCatalog.official(),
                    Path.of(System.getProperty("java.io.tmpdir"), "densenet4j-test-no-user-data"),
                    new Downloader(),
                    false);
            cached = locator.load("fashion-mnist", null);
        }
        return cached.limit(train, test);
    }
}
