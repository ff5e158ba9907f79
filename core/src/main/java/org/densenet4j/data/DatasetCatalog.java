package org.densenet4j.data;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;

/** The named datasets densenet4j can find or fetch by itself, with their official locations. */
public final class DatasetCatalog {

    static final List<String> FASHION_CLASSES = List.of(
            "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");
    static final List<String> DIGITS = List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");

    private DatasetCatalog() {}

    /** fashion-mnist, mnist, cifar10 and cifar100 at their publishers' addresses. */
    public static List<DatasetSource> official() {
        // Checksums are the ones the publishers (and torchvision) list for these exact files.
        DatasetSource fashion = DatasetSource.idx(
                "fashion-mnist",
                URI.create("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"),
                List.of(
                        "8d4fb7e6c68d591d4c3dfef9ec88bf0d", "25c81989df183df01b3e8a0aad5dffbe",
                        "bef4ecab320f06d8554ea6380940ec79", "bb300cfdad3c16e7a12a480ee83cd310"),
                FASHION_CLASSES,
                Path.of("/usr/share/datasets/fashion-mnist"),
                "install the Debian package (apt-get install dataset-fashion-mnist), or put the four "
                        + "IDX files in a folder and read the dataset from that folder");
        DatasetSource mnist = DatasetSource.idx(
                "mnist",
                URI.create("https://ossci-datasets.s3.amazonaws.com/mnist/"),
                List.of(
                        "f68b3c2dcbeaaa9fbdd348bbdeb94873", "d53e105ee54ea40749a09fcbcd1e9432",
                        "9fb629c4189551a2d022fa330f9573f3", "ec29112dd5afa0611ce80d1b7f02629c"),
                DIGITS,
                null,
                "put the four MNIST IDX files in a folder and read the dataset from that folder");
        DatasetSource cifar10 = new DatasetSource(
                "cifar10",
                List.of("data_batch_1.bin", "data_batch_5.bin", "test_batch.bin"),
                (n, dir, trainLimit, testLimit) -> new DatasetSplits(
                                n, CifarReader.cifar10(dir, true), CifarReader.cifar10(dir, false))
                        .limit(trainLimit, testLimit),
                null,
                List.of(new RemoteFile(
                        URI.create("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"),
                        "c32a1d4ab5d03f1284b67883e8d87530",
                        true)),
                "extract cifar-10-binary.tar.gz (binary version) into a folder and read the dataset from that folder");
        DatasetSource cifar100 = new DatasetSource(
                "cifar100",
                List.of("train.bin", "test.bin"),
                (n, dir, trainLimit, testLimit) -> new DatasetSplits(
                                n,
                                CifarReader.cifar100(dir, true, CifarReader.Cifar100Labels.FINE),
                                CifarReader.cifar100(dir, false, CifarReader.Cifar100Labels.FINE))
                        .limit(trainLimit, testLimit),
                null,
                List.of(new RemoteFile(
                        URI.create("https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz"),
                        "03b5dce01913d631647c71ecec9e9cb8",
                        true)),
                "extract cifar-100-binary.tar.gz (binary version) into a folder and read the dataset from that folder");
        return List.of(fashion, mnist, cifar10, cifar100);
    }
}
