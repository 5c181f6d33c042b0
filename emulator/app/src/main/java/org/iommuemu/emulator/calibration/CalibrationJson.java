package org.iommuemu.emulator.calibration;

import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.iommuemu.emulator.replay.JsonReport;
import org.iommuemu.emulator.timing.TimingProfile;

/**
 * {@code calibrate --json}: the calibration as a results document of kind {@code calibration}
 * (docs/results.md, docs/results.schema.json): per measured system, the profile it ran under and its free parameters
 * (fitted, with {@code --fit}), and every published point beside the model's value with the relative error and where
 * the point was published.
 */
public final class CalibrationJson
{
    /** One system's calibration: the profile it ran under, its free parameters, its rows, and whether a fit made them. */
    public record SystemRun(MeasuredSystem system, TimingProfile profile, Map<String, Integer> parameters, boolean fitted,
        List<Calibration.Row> rows)
    {
    }

    private CalibrationJson()
    {
    }

    /** The document for {@code runs}, in order. */
    public static ObjectNode document(final List<SystemRun> runs)
    {
        final ObjectNode root = JsonReport.header("calibration");
        root.put("goal_relative_error", Calibration.GOAL);
        final ArrayNode systems = root.putArray("systems");
        for (final SystemRun run : runs)
        {
            final ObjectNode node = systems.addObject();
            node.put("system", run.system().name());
            node.put("description", run.system().description());
            node.put("iommu", run.system().iommu().name().toLowerCase(Locale.ROOT));
            node.put("profile", run.profile().name());
            node.put("profile_description", run.profile().description());
            node.put("fitted", run.fitted());
            final ObjectNode parameters = node.putObject("parameters");
            for (final Map.Entry<String, Integer> parameter : run.parameters().entrySet())
            {
                parameters.put(parameter.getKey(), parameter.getValue());
            }
            final ObjectNode summary = node.putObject("summary");
            summary.put("points", run.rows().size());
            summary.put("rms_relative_error", Calibration.rms(run.rows()));
            summary.put("worst_relative_error", Calibration.worst(run.rows()));
            summary.put("beyond_goal", Calibration.beyondGoal(run.rows()));
            final ArrayNode rows = node.putArray("rows");
            for (final Calibration.Row row : run.rows())
            {
                final PublishedPoint point = row.point();
                final ObjectNode line = rows.addObject();
                line.put("point", point.label());
                line.put("test", point.test().label());
                line.put("iommu_pages", point.iommu().label());
                line.put("transfer_bytes", point.bytes());
                line.put("window_bytes", point.window());
                line.put("unit", point.test().unit());
                line.put("model", row.model());
                line.put("published", point.value());
                line.put("relative_error", row.error());
                line.put("source", point.source());
            }
        }
        return root;
    }
}
