/**
 * The page-table formats: AMD-Vi v1 host tables, x86-64 4/5-level paging (AMD-Vi v2, VT-d first stage,
 * AMD NPT), VT-d second stage, and EPT (which the TDX S-EPT extends). Each class holds one spec layout:
 * its bit constants, a bit diagram and the source of each field.
 */
package org.iommuemu.pagetable.format;
