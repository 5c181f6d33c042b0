package org.iommuemu.emulator.cli.offline;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.iommuemu.emulator.config.Numbers;
import org.iommuemu.emulator.platform.DmaRequest;
import org.iommuemu.emulator.platform.IommuPort;
import org.iommuemu.emulator.platform.RequestOutcome;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.memory.MemoryAccessListener;
import org.iommuemu.pagetable.memory.SparseMemory;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every combination of devices, PASIDs (-1 for none), addresses and accesses as a request file, and the lines an
 * in-memory model answers for them in {@code translate}'s result format: the oracle the offline runs must match.
 */
final class RequestMatrix
{
    static final String[] ACCESSES = {"r", "w", "rw"};

    final List<String> requests = new ArrayList<>(List.of("requester_id,pasid,iova,access"));
    final List<String> expected = new ArrayList<>(List.of(TranslateCommand.RESULT_HEADER));

    /**
     * @param memory     the memory the model reads: a listener on it tells which requests read outside
     *                   {@code [imageStart, imageEnd)}, the part of it the image holds; those requests are answered
     *                   {@code error} (translate answers nothing made up from memory the image lacks).
     */
    RequestMatrix(final IommuPort model, final SparseMemory memory, final long imageStart, final long imageEnd,
        final int[] devices, final int[] pasids, final List<Long> addresses)
    {
        final long[] outside = {-1};
        final MemoryAccessListener before = memory.listener();
        memory.listener(new MemoryAccessListener()
        {
            @Override
            public void onEntryRead(final long address, final long value)
            {
                if (address < imageStart || address + 8 > imageEnd)
                {
                    outside[0] = address;
                }
            }

            @Override
            public void onDataRead(final long address, final int length)
            {
                if (address < imageStart || address + length > imageEnd)
                {
                    outside[0] = address;
                }
            }
        });
        try
        {
            build(model, devices, pasids, addresses, outside);
        }
        finally
        {
            memory.listener(before);
        }
    }

    private void build(final IommuPort model, final int[] devices, final int[] pasids, final List<Long> addresses,
        final long[] outside)
    {
        final DmaRequest request = new DmaRequest();
        final RequestOutcome outcome = new RequestOutcome();
        for (final int device : devices)
        {
            for (final int pasid : pasids)
            {
                for (final long address : addresses)
                {
                    for (final String access : ACCESSES)
                    {
                        final String echo = String.format("0x%04x,%s,0x%x,%s", device, pasid < 0 ? "" : "0x" + Integer.toHexString(pasid),
                            address, access);
                        requests.add(echo);
                        request.clear();
                        request.requesterId(device).address(address).access(Permissions.parse(access));
                        if (pasid >= 0)
                        {
                            request.pasid(pasid);
                        }
                        outside[0] = -1;
                        final String answer = answer(model, request, outcome);
                        expected.add(echo + "," + (outside[0] < 0 ? answer : "error,,,,outside the image at 0x" +
                            Long.toHexString(outside[0])));
                    }
                }
            }
        }
    }

    private static String answer(final IommuPort model, final DmaRequest request, final RequestOutcome outcome)
    {
        if (!TranslateCommand.translate(model, request, outcome))
        {
            return "fault,,,," + outcome.fault().faultName();
        }
        final int p = outcome.permissions();
        return String.format("ok,0x%x,%s,%s%s,", outcome.outputAddress(), Numbers.size(outcome.pageSizeLg2()),
            (p & Permissions.READ) != 0 ? "r" : "", (p & Permissions.WRITE) != 0 ? "w" : "");
    }

    Path write(final Path file) throws IOException
    {
        return OfflineTestBed.writeLines(file, requests);
    }

    /** Compare {@code translate}'s output with the oracle line by line; returns the output lines. */
    List<String> assertMatches(final String output)
    {
        final List<String> actual = Arrays.asList(output.split("\n"));
        assertEquals(expected.size(), actual.size(), "result lines");
        for (int i = 0; i < expected.size(); i++)
        {
            assertEquals(expected.get(i), actual.get(i), "line " + (i + 1));
        }
        return actual;
    }
}
