/**
 * Memory images of real (or emulated) machines as {@link org.iommuemu.pagetable.memory.PhysicalMemory}: raw
 * {@code pmemsave} dumps and ELF cores, optionally gzip- or xz-compressed, recognised by magic bytes and mapped
 * read-only and lazily ({@link org.iommuemu.emulator.image.ImageMemory}); and the writer that produces such
 * images from emulated memory ({@link org.iommuemu.emulator.image.ImageWriter}).
 */
package org.iommuemu.emulator.image;
