package org.densenet4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The step schedule keeps the paper's milestones and never skips a stage of a short run. */
class LearningRateScheduleTest {

    private static double[] rates(int epochs) {
        double[] r = new double[epochs];
        for (int e = 0; e < epochs; e++) {
            r[e] = LearningRateSchedule.STEP.rate(0.1, e, epochs);
        }
        return r;
    }

    @Test
    void threeEpochsRunEachStageOnce() {
        assertArrayEquals(new double[] {0.1, 0.01, 0.001}, rates(3), 1e-12);
    }

    @Test
    void thePapersRunDividesAtEpochs150And225() {
        double[] r = rates(300);
        assertEquals(0.1, r[149], 1e-12);
        assertEquals(0.01, r[150], 1e-12);
        assertEquals(0.01, r[224], 1e-12);
        assertEquals(0.001, r[225], 1e-12);
    }

    @Test
    void everyStageGetsAnEpochFromThreeEpochsOnAndRatesOnlyFall() {
        assertArrayEquals(new double[] {0.1}, rates(1), 1e-12);
        assertArrayEquals(new double[] {0.1, 0.01}, rates(2), 1e-12);
        for (int epochs = 3; epochs <= 500; epochs++) {
            double[] r = rates(epochs);
            Set<Double> stages = new TreeSet<>();
            for (int e = 0; e < epochs; e++) {
                stages.add(Math.round(r[e] * 1e6) / 1e6);
                assertTrue(e == 0 || r[e] <= r[e - 1], "rates only fall, " + epochs + " epochs");
            }
            assertEquals(Set.of(0.1, 0.01, 0.001), stages, epochs + " epochs");
        }
    }
}
