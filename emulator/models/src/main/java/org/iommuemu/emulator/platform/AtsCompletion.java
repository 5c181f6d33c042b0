package org.iommuemu.emulator.platform;

import org.iommuemu.pagetable.Permissions;
import org.iommuemu.tlp.TranslationCompletionEntry;

/**
 * The one composer of ATS Translation Completion entries (the answer to a translation request), for every model
 * and path that answers one: AMD-Vi, VT-d and VT-d's TDX Connect trusted path. The layout is
 * {@code pcie-tlp}'s {@link TranslationCompletionEntry}; this class says how a translation becomes one: the
 * translated range is the page the translation lies in (its base aligned to the page size, with the S-bit size
 * encoding above 4 KiB), R and W come from the translation's permissions, Exe from its execute permission where
 * the model reports it, and U and Priv as the model decides. R = W = 0 says there is no translation.
 * Allocation-free.
 */
public final class AtsCompletion
{
    private AtsCompletion()
    {
    }

    /**
     * The entry for a translation of {@code 2^pageSizeLg2} bytes holding {@code outputAddress}.
     *
     * @param permissions      {@link Permissions} of the translation: READ gives R, WRITE gives W, EXECUTE gives
     *                         Exe when {@code execute} is set.
     * @param untranslatedOnly U: the device may use the answer only as a hint and must send untranslated requests.
     * @param execute          whether the answer reports execute permission at all (a request with a PASID).
     * @param privileged       Priv: the answer is for privileged-mode accesses.
     */
    public static long entry(final long outputAddress, final int pageSizeLg2, final int permissions,
        final boolean untranslatedOnly, final boolean execute, final boolean privileged)
    {
        final long size = 1L << pageSizeLg2;
        return TranslationCompletionEntry.compose(outputAddress & -size, size,
            ((permissions & Permissions.READ) != 0 ? TranslationCompletionEntry.R : 0) |
            ((permissions & Permissions.WRITE) != 0 ? TranslationCompletionEntry.W : 0) |
            (untranslatedOnly ? TranslationCompletionEntry.U : 0) |
            (execute && (permissions & Permissions.EXECUTE) != 0 ? TranslationCompletionEntry.EXE : 0) |
            (privileged ? TranslationCompletionEntry.PRIV : 0));
    }

    /** The entry with R and W from {@code permissions} only (no U, Exe or Priv). */
    public static long entry(final long outputAddress, final int pageSizeLg2, final int permissions)
    {
        return entry(outputAddress, pageSizeLg2, permissions, false, false, false);
    }
}
