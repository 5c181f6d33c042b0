/**
 * TLP trace files: the pcie-tlp pcapng format ({@link org.iommuemu.tlp.trace.PcapngTraceReader},
 * {@link org.iommuemu.tlp.trace.PcapngTraceWriter}), the text format
 * ({@link org.iommuemu.tlp.trace.TextTraceReader}, {@link org.iommuemu.tlp.trace.TextTraceWriter}), format
 * detection and conversion (TraceFiles, in {@code org.iommuemu.tlp.io}, above the importers) and statistics
 * ({@link org.iommuemu.tlp.trace.TraceStats}). Readers stream in constant memory, re-point one
 * {@link org.iommuemu.tlp.trace.TraceRecord}, and report bad input as
 * {@link org.iommuemu.tlp.trace.TraceFormatException} (record index, byte offset, reason) or count it in the
 * {@link org.iommuemu.tlp.trace.TraceSummary}. The formats are described in docs/trace-format.md.
 */
package org.iommuemu.tlp.trace;
