package org.densenet4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Function;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * densenet4j's resizing against torchvision 0.14 on PIL images, on the two real photographs scikit-learn ships
 * (fixtures by {@code scripts/make_resize_fixtures.py}): the mean absolute difference must be at most 1 grey level.
 */
class ResizeParityTest {

    private static final Path FIXTURES = Path.of("src/test/resources/resize-fixtures");

    /** A planar image and its size. */
    private record Image(byte[] pixels, int channels, int height, int width) {}

    private static Image png(String name) throws IOException {
        BufferedImage img = ImageIO.read(FIXTURES.resolve(name).toFile());
        int channels = img.getType() == BufferedImage.TYPE_BYTE_GRAY ? 1 : 3;
        return new Image(ImageConverter.planar(img, channels), channels, img.getHeight(), img.getWidth());
    }

    static Stream<Arguments> cases() {
        Function<Image, byte[]> imagenet = i -> ResizeAndCrop.IMAGENET.apply(i.pixels, i.channels, i.height, i.width);
        Function<Image, byte[]> down57 = i ->
                AntialiasedResize.resize(i.pixels, i.channels, i.height, i.width, 57, (int) (57L * i.width / i.height));
        Function<Image, byte[]> exact = i -> AntialiasedResize.resize(i.pixels, i.channels, i.height, i.width, 100, 37);
        Function<Image, byte[]> up = i -> {
            byte[] crop = ResizeAndCrop.centerCrop(i.pixels, i.channels, i.height, i.width, 60, 80);
            return AntialiasedResize.resize(crop, i.channels, 60, 80, 150, 200);
        };
        Function<Image, byte[]> odd = i -> new ResizeAndCrop(255, 224).apply(i.pixels, i.channels, i.height, i.width);
        return Stream.of("china", "flower")
                .flatMap(photo -> Stream.of(
                        Arguments.of(photo + ".png", photo + ".imagenet.png", imagenet),
                        Arguments.of(photo + ".png", photo + ".down-57.png", down57),
                        Arguments.of(photo + ".png", photo + ".exact-100x37.png", exact),
                        Arguments.of(photo + ".png", photo + ".up-crop60x80-150.png", up),
                        Arguments.of(photo + ".png", photo + ".crop-odd-255.png", odd),
                        Arguments.of(photo + ".grey.png", photo + ".grey.imagenet.png", imagenet)));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("cases")
    void matchesTorchvisionWithinOneGreyLevel(String source, String fixture, Function<Image, byte[]> transform)
            throws IOException {
        Image image = png(source);
        {
            byte[] want = png(fixture).pixels();
            byte[] got = transform.apply(image);
            assertEquals(want.length, got.length, "size");
            long sum = 0;
            int worst = 0;
            for (int i = 0; i < want.length; i++) {
                int d = Math.abs((want[i] & 0xff) - (got[i] & 0xff));
                sum += d;
                worst = Math.max(worst, d);
            }
            double mean = (double) sum / want.length;
            assertTrue(mean <= 1.0, fixture + ": mean absolute difference " + mean + " grey levels");
            // Measured: bit-exact on every case (Pillow 9.4's fixed-point arithmetic reproduced).
            assertTrue(worst <= 1, fixture + ": a pixel differs by " + worst + " grey levels");
        }
    }

    @org.junit.jupiter.api.Test
    void cropsLargerThanTheImageArePaddedAsTorchvisionPads() {
        byte[] one = {1, 2, 3};
        // torchvision pads (5 - 3) // 2 = 1 before and 1 after.
        assertArrayEquals(new byte[] {0, 1, 2, 3, 0}, ResizeAndCrop.centerCrop(one, 1, 1, 3, 1, 5));
    }

    @org.junit.jupiter.api.Test
    void resizingOnlyTheKeptRegionGivesTheWholeResizesPixelsPaddingIncluded() throws IOException {
        Image photo = png("flower.png");
        for (ResizeAndCrop pipeline : new ResizeAndCrop[] {ResizeAndCrop.IMAGENET, new ResizeAndCrop(200, 224)}) {
            int outHeight = pipeline.resize();
            int outWidth = (int) ((long) pipeline.resize() * photo.width() / photo.height());
            byte[] whole =
                    AntialiasedResize.resize(photo.pixels(), 3, photo.height(), photo.width(), outHeight, outWidth);
            byte[] expected = ResizeAndCrop.centerCrop(whole, 3, outHeight, outWidth, pipeline.crop(), pipeline.crop());
            assertArrayEquals(
                    expected, pipeline.apply(photo.pixels(), 3, photo.height(), photo.width()), "" + pipeline);
        }
    }

    /** Hostile shapes: a 1 x 60,000 image would resize to 256 x 15,360,000 (11 GB) if the whole image were resized. */
    @org.junit.jupiter.api.Test
    void extremeAspectRatiosCostNoMoreThanTheCrop() {
        for (int[] size : new int[][] {{1, 60_000}, {60_000, 1}, {1, 1}}) {
            byte[] pixels = new byte[3 * size[0] * size[1]];
            java.util.Arrays.fill(pixels, (byte) 200);
            byte[] out = ResizeAndCrop.IMAGENET.apply(pixels, 3, size[0], size[1]);
            assertEquals(3 * 224 * 224, out.length);
            for (byte b : out) {
                assertEquals(200, b & 0xff, "a flat image stays flat");
            }
        }
    }
}
