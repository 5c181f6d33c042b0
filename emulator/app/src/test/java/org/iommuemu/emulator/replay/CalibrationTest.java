package org.iommuemu.emulator.replay;

import java.util.List;

import org.iommuemu.emulator.profile.TimingProfiles;
import org.iommuemu.emulator.timing.TimingProfile;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CalibrationTest
{
    @Test
    void reproducesTheKneeOfIotlbReachAndOneFetchPerLevel()
    {
        final TimingProfile profile = TimingProfiles.bundled("amd");
        final List<Calibration.Row> rows = Calibration.run(profile);
        assertTrue(percent(rows, "128.00 KiB, 4 KiB") > 99, "inside 64 x 4 KiB");
        assertTrue(percent(rows, "1.00 MiB, 4 KiB") < 30, "four times the reach");
        assertTrue(percent(rows, "64.00 MiB, 2 MiB") > 99, "hugepages recover");
        final long perLevel = profile.walker().cyclesBeforeFetch() + profile.memory().dramLatency() + profile.walker().cyclesAfterFetch();
        assertEquals(perLevel, cycles(rows, "miss latency, 5-level") - cycles(rows, "miss latency, 4-level"), "one cold fetch per level");
    }

    private static double percent(final List<Calibration.Row> rows, final String part)
    {
        return Double.parseDouble(find(rows, part).model().replace("%", ""));
    }

    private static long cycles(final List<Calibration.Row> rows, final String part)
    {
        return Long.parseLong(find(rows, part).model().split(" ")[0]);
    }

    private static Calibration.Row find(final List<Calibration.Row> rows, final String part)
    {
        return rows.stream().filter(r -> r.quantity().contains(part)).findFirst().orElseThrow();
    }
}
