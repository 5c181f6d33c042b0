package org.iommuemu.emulator.calibration;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.iommuemu.emulator.scenario.Scenario;

/**
 * A system whose published measurements the calibration reproduces ({@code iommu-emu/calibration/systems.csv}),
 * with the bundled profile fitted to it, and its published points.
 *
 * @param name        short name ({@code bdw-e5-2630v4}).
 * @param profile     the bundled timing profile fitted to it.
 * @param base        the bundled profile its fit starts from and extends.
 * @param iommu       the IOMMU model the calibration runs (VT-d for pcie-bench's Xeons).
 * @param directory   pcie-bench: the data folder of the run without IOMMU; empty for other sources.
 * @param description one line.
 * @param points      its published points, in file order.
 */
public record MeasuredSystem(String name, String profile, String base, Scenario.IommuKind iommu, String directory,
    String description, List<PublishedPoint> points)
{
    private static final String FOLDER = "iommu-emu/calibration/";

    /** Every system, with its points. */
    public static List<MeasuredSystem> all()
    {
        final List<PublishedPoint> published = new ArrayList<>();
        final List<String[]> systems = rows("systems.csv");
        for (final String[] row : systems)
        {
            if (row.length != 6)
            {
                throw new IllegalStateException(FOLDER + "systems.csv: a row needs 6 fields: " + String.join(",", row));
            }
        }
        for (final String file : new String[] {"pcie-bench.csv", "farshin.csv"})
        {
            for (final String[] row : rows(file))
            {
                published.add(point(file, row, systems));
            }
        }
        final List<MeasuredSystem> result = new ArrayList<>();
        for (final String[] row : systems)
        {
            final List<PublishedPoint> points = new ArrayList<>();
            for (final PublishedPoint point : published)
            {
                if (point.system().equals(row[0]))
                {
                    points.add(point);
                }
            }
            result.add(new MeasuredSystem(row[0], row[1], row[2], row[3].equals("vtd") ? Scenario.IommuKind.VTD :
                Scenario.IommuKind.AMDVI, row[4], row[5], List.copyOf(points)));
        }
        return List.copyOf(result);
    }

    /** A system by name (or by the name of its profile). */
    public static MeasuredSystem named(final String name)
    {
        final List<String> names = new ArrayList<>();
        for (final MeasuredSystem system : all())
        {
            if (system.name().equals(name) || system.profile().equals(name))
            {
                return system;
            }
            names.add(system.name());
        }
        throw new IllegalArgumentException("no measured system '" + name + "'; systems: " + names);
    }

    /** Whether the points come from pcie-bench's DMA benchmarks (else from a NIC measurement). */
    public boolean pcieBench()
    {
        return !directory.isEmpty();
    }

    private static PublishedPoint point(final String file, final String[] row, final List<String[]> systems)
    {
        if (row.length != 6)
        {
            throw new IllegalStateException(FOLDER + file + ": a row needs 6 fields: " + String.join(",", row));
        }
        final PublishedPoint.Mode mode = PublishedPoint.Mode.parse(row[1]);
        final PublishedPoint.Test test = PublishedPoint.Test.parse(row[2]);
        String directory = null;
        for (final String[] system : systems)
        {
            if (system[0].equals(row[0]))
            {
                directory = system[4];
            }
        }
        if (directory == null)
        {
            throw new IllegalStateException(FOLDER + file + ": no system '" + row[0] + "' in systems.csv");
        }
        final String source;
        if (test == PublishedPoint.Test.NIC_RX)
        {
            source = "Farshin et al., PeerJ CS 9:e1385 (2023), abstract: up to 20% lost, recovered by huge pages";
        }
        else
        {
            final String folder = directory + (mode == PublishedPoint.Mode.OFF ? "" :
                mode == PublishedPoint.Mode.PAGES_2M || row[0].startsWith("snb") ? "-iommu" : "-iommu-nosp");
            final String data = test == PublishedPoint.Test.LATENCY ? "lat_dma_sweep_rd_rnd_64.dat, Cold, Avg(ns)" :
                "bw_dma_win_sweep_" + test.label() + "_rnd_" + row[3] + ".dat, Cold";
            source = "pcie-bench/data " + folder + "/" + data;
        }
        return new PublishedPoint(row[0], mode, test, Integer.parseInt(row[3]), Long.parseLong(row[4]),
            Double.parseDouble(row[5]), source);
    }

    private static List<String[]> rows(final String file)
    {
        final InputStream stream = MeasuredSystem.class.getClassLoader().getResourceAsStream(FOLDER + file);
        if (stream == null)
        {
            throw new IllegalStateException("missing resource " + FOLDER + file);
        }
        final List<String[]> rows = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8)))
        {
            boolean header = true;
            String line;
            while ((line = reader.readLine()) != null)
            {
                if (line.isBlank() || line.startsWith("#"))
                {
                    continue;
                }
                if (header)
                {
                    header = false;
                    continue;
                }
                rows.add(line.split(",", -1));
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(FOLDER + file, ex);
        }
        return rows;
    }
}
