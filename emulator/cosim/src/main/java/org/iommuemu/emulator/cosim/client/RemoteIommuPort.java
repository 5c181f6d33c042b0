package org.iommuemu.emulator.cosim.client;

import java.util.List;

import org.iommuemu.emulator.cache.TranslationCache;
import org.iommuemu.emulator.cosim.FaultFamily;
import org.iommuemu.emulator.cosim.codec.Ats;
import org.iommuemu.emulator.cosim.wire.AtsLayout;
import org.iommuemu.emulator.cosim.wire.RemotePort;
import org.iommuemu.emulator.cosim.wire.TranslateWords;
import org.iommuemu.emulator.platform.DmaRequest;
import org.iommuemu.emulator.platform.FaultKind;
import org.iommuemu.emulator.platform.IommuPort;
import org.iommuemu.emulator.platform.RequestOutcome;
import org.iommuemu.pagetable.Permissions;

/**
 * The server's IOMMU as an {@link IommuPort} on the client's side: register reads and writes go over the MMIO
 * channel, requests over ATS_REQ with the extension's attributes ({@link RemotePort#IE_TRANSLATE}), and the answer
 * fills the {@link RequestOutcome} as the model itself would (output address, page size, permissions, IOTLB hit,
 * domain, the fault and whether it was recorded, the ATS completion entry). So the models' driver models
 * ({@code AmdViDriver}, {@code VtdDriver}) can bring up and program a model that runs in another process, as a guest
 * driver does through QEMU.
 */
public final class RemoteIommuPort implements IommuPort
{
    private final CosimClient client;
    private final long mmioBase;
    private final int blockSize;
    private long lastLatencyCycles;

    /**
     * @param mmioBase  the MMIO address of register offset 0 (the server's {@code cosim.mmio-base}).
     * @param blockSize the register block's size, for {@link #registerBlockSize()}.
     */
    public RemoteIommuPort(final CosimClient client, final long mmioBase, final int blockSize)
    {
        if (!client.has(RemotePort.IE_TRANSLATE))
        {
            throw new IllegalArgumentException("a remote port needs the IE_TRANSLATE capability on both sides");
        }
        this.client = client;
        this.mmioBase = mmioBase;
        this.blockSize = blockSize;
    }

    public boolean handle(final DmaRequest request, final RequestOutcome outcome)
    {
        outcome.reset();
        final int access = request.access();
        final Ats answer = client.translate(new CosimClient.Translation(request.requesterId(), request.pasid(), request.address(),
            request.length(), (access & Permissions.READ) != 0, (access & Permissions.WRITE) != 0,
            (access & Permissions.EXECUTE) != 0, request.privileged(), request.trusted(), request.addressType().ordinal()));
        final long word = answer.reserved(0);
        lastLatencyCycles = answer.reserved(1);
        final long attributes = answer.attributes();
        final int permissions = ((attributes & AtsLayout.ATTR_READ) != 0 ? Permissions.READ : 0) |
            ((attributes & AtsLayout.ATTR_WRITE) != 0 ? Permissions.WRITE : 0) |
            ((attributes & AtsLayout.ATTR_EXEC) != 0 ? Permissions.EXECUTE : 0);
        outcome.translated(answer.reserved(3), TranslateWords.outcomePageSizeLg2(word), permissions)
            .iotlbHit(TranslateWords.outcomeIotlbHit(word)).domainId(TranslateWords.outcomeDomainId(word))
            .completionEntry(answer.reserved(2));
        if (TranslateWords.outcomeFault(word))
        {
            final FaultKind kind = FaultFamily.kind(TranslateWords.outcomeFamily(word), TranslateWords.outcomeFaultCode(word));
            if (kind == null)
            {
                throw new CosimException("the server reported fault family " + TranslateWords.outcomeFamily(word) + " code " +
                    TranslateWords.outcomeFaultCode(word) + ", which this client does not know");
            }
            outcome.fault(kind, TranslateWords.outcomeRecorded(word));
            return false;
        }
        // As the models do: a translation request without a translation is answered (R = W = 0), not faulted.
        return true;
    }

    /** The model's latency of the last request handled, in its cycles. */
    public long lastLatencyCycles()
    {
        return lastLatencyCycles;
    }

    public String name()
    {
        return "remote";
    }

    /** The caches are the server's; ask it for statistics ({@link CosimClient#stats()}). */
    public List<TranslationCache> caches()
    {
        return List.of();
    }

    public long readRegister(final int offset, final int width)
    {
        return client.mmioRead(mmioBase + offset, width);
    }

    public void writeRegister(final int offset, final int width, final long value)
    {
        final int code = client.mmioWrite(mmioBase + offset, width, value);
        if (code != RemotePort.RESP_OK)
        {
            throw new CosimException("MMIO write at offset 0x" + Integer.toHexString(offset) + ": response code " + code);
        }
    }

    public int registerBlockSize()
    {
        return blockSize;
    }

    /** Unknown here: the server splits an 8-byte access to two 4-byte registers itself. */
    public int registerWidth(final int offset)
    {
        return 0;
    }
}
