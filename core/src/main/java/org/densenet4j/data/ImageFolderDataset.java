package org.densenet4j.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Images in one sub-folder per class ({@code root/cat/1.jpg}, {@code root/dog/2.png}), JPEG or PNG of
 * any size, decoded lazily and converted to a fixed size and colour mode.
 *
 * <p>Files with other extensions are ignored with a warning; an image that fails to decode is
 * reported by {@link #pixels} and skipped by the batch loader.
 */
public final class ImageFolderDataset extends LabelledImages {

    private static final Logger LOG = LoggerFactory.getLogger(ImageFolderDataset.class);

    private final List<Path> files;
    private final ImageConverter converter;
    private final int ignoredFiles;
    private final ResizeAndCrop resizeAndCrop;

    private ImageFolderDataset(
            Path root,
            List<Path> files,
            int[] labels,
            List<String> classNames,
            int channels,
            int height,
            int width,
            int ignoredFiles,
            ResizeAndCrop resizeAndCrop) {
        super(root.toString(), channels, height, width, labels, classNames);
        this.files = files;
        this.converter = new ImageConverter(channels, height, width, resizeAndCrop);
        this.ignoredFiles = ignoredFiles;
        this.resizeAndCrop = resizeAndCrop;
    }

    @Override
    public ResizeAndCrop resizeAndCrop() {
        return resizeAndCrop;
    }

    /**
     * Scans {@code root}; class names are the sub-folder names in sorted order.
     *
     * @throws InvalidDatasetException if the folder is missing, has fewer than two classes, or no images
     */
    public static ImageFolderDataset scan(Path root, int channels, int height, int width)
            throws InvalidDatasetException {
        return scan(root, channels, height, width, null);
    }

    /**
     * As {@link #scan(Path, int, int, int)}, preparing images with {@code resizeAndCrop} (whose crop must be
     * {@code height} x {@code width}) instead of squashing them when it is not null.
     */
    public static ImageFolderDataset scan(Path root, int channels, int height, int width, ResizeAndCrop resizeAndCrop)
            throws InvalidDatasetException {
        if (resizeAndCrop != null) {
            resizeAndCrop.checkFeeds(height, width);
        }
        if (!Files.isDirectory(root)) {
            throw new InvalidDatasetException(root, "not a directory (expected one sub-folder per class)");
        }
        List<Path> classDirs;
        try (Stream<Path> s = Files.list(root)) {
            classDirs = s.filter(Files::isDirectory).sorted().collect(Collectors.toList());
        } catch (IOException e) {
            throw new InvalidDatasetException(root, "cannot list: " + e.getMessage(), e);
        }
        if (classDirs.size() < 2) {
            throw new InvalidDatasetException(
                    root,
                    "found " + classDirs.size()
                            + " class sub-folder(s); a classifier needs at least 2 (one sub-folder per class)");
        }
        List<Path> files = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        int ignored = 0;
        for (int c = 0; c < classDirs.size(); c++) {
            List<Path> entries;
            try (Stream<Path> s = Files.walk(classDirs.get(c))) {
                entries = s.filter(Files::isRegularFile).sorted().collect(Collectors.toList());
            } catch (IOException e) {
                throw new InvalidDatasetException(classDirs.get(c), "cannot list: " + e.getMessage(), e);
            }
            for (Path f : entries) {
                if (ImageFiles.isImageName(f)) {
                    files.add(f);
                    labels.add(c);
                } else {
                    LOG.warn("ignoring {}: not a JPEG or PNG file", f);
                    ignored++;
                }
            }
        }
        if (files.isEmpty()) {
            throw new InvalidDatasetException(root, "no JPEG or PNG images in its class sub-folders");
        }
        List<String> names =
                classDirs.stream().map(p -> p.getFileName().toString()).collect(Collectors.toList());
        return new ImageFolderDataset(
                root,
                List.copyOf(files),
                labels.stream().mapToInt(i -> i).toArray(),
                List.copyOf(names),
                channels,
                height,
                width,
                ignored,
                resizeAndCrop);
    }

    /**
     * Splits off a held-out fraction, chosen by a seeded shuffle so that the split is repeatable.
     *
     * @param heldOut the fraction of images for the test split, in (0, 1)
     */
    public DatasetSplits split(String name, double heldOut, long seed) {
        return DatasetSplits.heldOut(name, this, heldOut, seed);
    }

    /**
     * The splits of an image folder: its {@code train/} and {@code test/} sub-folders if it has both,
     * otherwise a seeded held-out fraction of one folder of class sub-folders.
     */
    public static DatasetSplits splits(Path root, int channels, int size, double heldOut, long seed)
            throws InvalidDatasetException {
        return splits(root, channels, size, null, heldOut, seed);
    }

    /** As {@link #splits(Path, int, int, double, long)}, preparing images with {@code resizeAndCrop} if not null. */
    public static DatasetSplits splits(
            Path root, int channels, int size, ResizeAndCrop resizeAndCrop, double heldOut, long seed)
            throws InvalidDatasetException {
        String name = root.toString();
        if (Files.isDirectory(root.resolve("train")) && Files.isDirectory(root.resolve("test"))) {
            ImageFolderDataset train = scan(root.resolve("train"), channels, size, size, resizeAndCrop);
            ImageFolderDataset test = scan(root.resolve("test"), channels, size, size, resizeAndCrop);
            if (!train.classNames().equals(test.classNames())) {
                throw new InvalidDatasetException(
                        root, "train/ has classes " + train.classNames() + " but test/ has " + test.classNames());
            }
            return new DatasetSplits(name, train, test);
        }
        return scan(root, channels, size, size, resizeAndCrop).split(name, heldOut, seed);
    }

    /** Files skipped at scan time because they are not JPEG or PNG. */
    public int ignoredFiles() {
        return ignoredFiles;
    }

    @Override
    public Path file(int index) {
        return files.get(index);
    }

    @Override
    public byte[] pixels(int index) throws UnreadableImageException {
        return converter.toPixels(ImageFiles.read(files.get(index)));
    }

    @Override
    public byte[] augmentedPixels(int index, Augmentation augmentation, java.util.SplittableRandom random)
            throws UnreadableImageException {
        return converter.augmentedPixels(ImageFiles.read(files.get(index)), augmentation, random);
    }
}
