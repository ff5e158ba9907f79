package org.densenet4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.densenet4j.data.DatasetCatalog;
import org.densenet4j.data.DatasetLocator;
import org.densenet4j.data.DatasetSplits;
import org.densenet4j.data.Downloader;
import org.densenet4j.data.ImageFolderDataset;
import org.densenet4j.data.ResizeAndCrop;
import picocli.CommandLine.Option;

/** Where the data comes from: a named dataset or an image folder, shared by train and eval. */
final class DataOptions {

    @Option(
            names = "--dataset",
            paramLabel = "NAME|FOLDER",
            description = "fashion-mnist, mnist, cifar10, cifar100, or a folder with one sub-folder per class "
                    + "(train: fashion-mnist; eval: the checkpoint's dataset).")
    String dataset;

    @Option(
            names = "--data",
            paramLabel = "DIR",
            description = "Folder holding the named dataset's files (searched first; otherwise the per-user "
                    + "folder, the Debian package's folder, then a verified download).")
    Path dataDir;

    @Option(names = "--no-download", description = "Never download; fail if the dataset is not on disk.")
    boolean noDownload;

    @Option(
            names = "--image-size",
            paramLabel = "PIXELS",
            description = "Image folders only: side of the images the model takes (default: 32; with --weights "
                    + "to fine-tune, the size the weights were trained at).")
    Integer imageSize;

    @Option(
            names = "--resize",
            paramLabel = "PIXELS",
            description = "Image folders only: resize each image's shorter side to PIXELS (PIL's antialiased "
                    + "bilinear filter, as torchvision), then keep the central --image-size square: torchvision's "
                    + "Resize + CenterCrop, for the ImageNet models --resize 256 --image-size 224 (default: squash "
                    + "to --image-size; with --weights, the pipeline the weights were trained with).")
    Integer resize;

    @Option(
            names = "--channels",
            defaultValue = "3",
            description = "Image folders only: 1 for grey, 3 for colour (default: ${DEFAULT-VALUE}).")
    int channels;

    @Option(
            names = "--holdout",
            defaultValue = "0.1",
            description = "Image folders without train/ and test/: fraction held out for testing "
                    + "(default: ${DEFAULT-VALUE}).")
    double holdout;

    @Option(names = "--train-limit", paramLabel = "N", description = "Use only the first N training images.")
    Integer trainLimit;

    @Option(names = "--test-limit", paramLabel = "N", description = "Use only the first N test images.")
    Integer testLimit;

    /**
     * Loads {@code --dataset}, or {@code fallback} when it is not given; an image folder is prepared as
     * {@code --resize} and {@code --image-size} say, or else as {@code model} prepares images (null: squashed to 32).
     */
    DatasetSplits load(String fallback, ResizeAndCrop modelPipeline, Integer modelSize, long seed) throws IOException {
        int size = imageSize != null ? imageSize : modelSize != null ? modelSize : 32;
        ResizeAndCrop pipeline;
        if (resize != null) {
            pipeline = new ResizeAndCrop(resize, size);
        } else if (modelPipeline != null && modelPipeline.crop() == size) {
            pipeline = modelPipeline;
        } else {
            pipeline = null;
        }
        return load(fallback, channels, size, pipeline, seed);
    }

    /** As {@link #load(String, ResizeAndCrop, Integer, long)}, with an image folder of the given channels and size. */
    DatasetSplits load(String fallback, int folderChannels, int folderSize, ResizeAndCrop pipeline, long seed)
            throws IOException {
        String dataset = this.dataset != null ? this.dataset : fallback;
        int trainCount = limit("--train-limit", trainLimit);
        int testCount = limit("--test-limit", testLimit);
        DatasetSplits splits;
        if (Files.isDirectory(Path.of(dataset))) {
            splits = ImageFolderDataset.splits(Path.of(dataset), folderChannels, folderSize, pipeline, holdout, seed);
        } else {
            DatasetLocator locator = new DatasetLocator(
                    DatasetCatalog.official(), DatasetLocator.defaultUserRoot(), new Downloader(), !noDownload);
            splits = locator.load(dataset, dataDir, trainCount, testCount);
        }
        return splits.limit(trainCount, testCount);
    }

    private static int limit(String option, Integer value) {
        if (value != null && value < 1) {
            throw new IllegalArgumentException(option + " must be at least 1 image, got " + value);
        }
        return value == null ? Integer.MAX_VALUE : value;
    }
}
