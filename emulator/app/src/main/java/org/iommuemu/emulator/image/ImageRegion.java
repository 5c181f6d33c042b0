package org.iommuemu.emulator.image;

/**
 * One stretch of physical memory an image holds: {@code memoryLength} bytes from {@code physicalStart}, of
 * which the first {@code fileLength} come from the file at {@code fileOffset} and the rest read as zero (an ELF
 * PT_LOAD segment's p_paddr, p_memsz, p_filesz and p_offset; a raw image is one region with both lengths
 * equal to the file size).
 */
public record ImageRegion(long physicalStart, long memoryLength, long fileOffset, long fileLength)
{
    /** One past the last physical address of the region. */
    public long physicalEnd()
    {
        return physicalStart + memoryLength;
    }

    /** One past the last physical address backed by file bytes. */
    public long fileBackedEnd()
    {
        return physicalStart + fileLength;
    }
}
