/**
 * The SEV-SNP Reverse Map Table: its in-memory layout ({@link org.iommuemu.rmp.RmpEntry},
 * {@link org.iommuemu.rmp.RmpTable}), the hypervisor instructions ({@link org.iommuemu.rmp.RmpInstructions})
 * and guest instructions ({@link org.iommuemu.rmp.GuestRmpInstructions}), Linux's page-state conversion flows
 * ({@link org.iommuemu.rmp.PageStateConversion}), and the RMP checks on host CPU, guest (through the nested
 * page table) and IOMMU DMA accesses.
 * <p>
 * Glossary: SPA system physical address; GPA guest physical address; "region" the 2 MiB-aligned 2 MiB range
 * holding an address, whose first entry may govern it ({@link org.iommuemu.rmp.RmpTable#authoritativeEntryAddress});
 * "hypervisor-owned" unassigned or not RMP-covered; {@code Lg2} suffix log2 of a size. Architectural
 * failures are values (return codes, error codes, {@link org.iommuemu.rmp.GuestRmpResult}, the
 * {@link org.iommuemu.rmp.RmpPageFaultEvent} record); exceptions mean emulator bugs. Choices on UNVERIFIED
 * facts and the switches of {@link org.iommuemu.rmp.RmpConfig} are described in docs/rmp.md.
 */
package org.iommuemu.rmp;
