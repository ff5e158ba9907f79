package org.densenet4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/** Drives the web page in Debian's headless Chromium: picks an image and reads the bar chart. */
class WebPageChromiumTest {

    @TempDir
    Path tmp;

    @Test
    void pageShowsThePredictionsForAnUploadedImage() throws Exception {
        Path image = tmp.resolve("trouser.png");
        Files.write(image, ServerFixture.png(ServerFixture.sample(0)));
        try (ServerFixture fixture = new ServerFixture(UploadLimits.defaults(), 8)) {
            String expected =
                    fixture.classifier.classify(ServerFixture.sample(0)).best().getClassName();
            ChromeOptions options = new ChromeOptions();
            options.setBinary("/usr/bin/chromium");
            options.addArguments(
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--user-data-dir=" + tmp.resolve("profile"));
            ChromeDriverService service = new ChromeDriverService.Builder()
                    .usingDriverExecutable(new java.io.File("/usr/bin/chromedriver"))
                    .build();
            WebDriver driver = new ChromeDriver(service, options);
            try {
                driver.get(fixture.base.toString());
                driver.findElement(By.id("file")).sendKeys(image.toString());
                new WebDriverWait(driver, Duration.ofSeconds(30))
                        .until(ExpectedConditions.presenceOfElementLocated(By.cssSelector(".prediction")));
                List<WebElement> rows = driver.findElements(By.cssSelector(".prediction"));
                assertEquals(5, rows.size());
                assertEquals(
                        expected, rows.get(0).findElement(By.className("label")).getText());
                assertTrue(
                        rows.get(0).findElement(By.className("pct")).getText().endsWith("%"));

                // The explanation of the top prediction arrives, and the toggle swaps it with the image.
                WebElement toggle = new WebDriverWait(driver, Duration.ofSeconds(30))
                        .until(ExpectedConditions.elementToBeClickable(By.id("show-explanation")));
                WebElement explanation = driver.findElement(By.id("explanation"));
                new WebDriverWait(driver, Duration.ofSeconds(30))
                        .until(d -> (Boolean) ((org.openqa.selenium.JavascriptExecutor) d)
                                .executeScript(
                                        "return arguments[0].complete && " + "arguments[0].naturalWidth > 0",
                                        explanation));
                assertTrue(!explanation.isDisplayed()
                        && driver.findElement(By.id("preview")).isDisplayed());
                toggle.click();
                assertTrue(explanation.isDisplayed(), "the map shows when toggled on");
                assertTrue(!driver.findElement(By.id("preview")).isDisplayed());
                toggle.click();
                assertTrue(!explanation.isDisplayed(), "and hides when toggled off");
            } finally {
                driver.quit();
            }
        }
    }
}
