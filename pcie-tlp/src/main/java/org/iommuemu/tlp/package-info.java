/**
 * PCIe TLP codec: Agrona flyweights, one per spec structure, over {@link org.agrona.DirectBuffer}s.
 * <ul>
 * <li>{@link org.iommuemu.tlp.TlpDecoder} frames and validates one TLP into a caller-owned
 *     {@link org.iommuemu.tlp.Tlp} without allocating or throwing; errors are {@link org.iommuemu.tlp.TlpError}
 *     values with a byte offset.</li>
 * <li>Non-flit headers: {@link org.iommuemu.tlp.TlpHeader} (DW0), {@link org.iommuemu.tlp.RequestHeader},
 *     {@link org.iommuemu.tlp.ConfigRequestHeader}, {@link org.iommuemu.tlp.CompletionHeader},
 *     {@link org.iommuemu.tlp.MessageHeader} and the ATS/PRI messages
 *     ({@link org.iommuemu.tlp.AtsInvalidateRequest}, {@link org.iommuemu.tlp.AtsInvalidateCompletion},
 *     {@link org.iommuemu.tlp.PageRequest}, {@link org.iommuemu.tlp.PrgResponse}).</li>
 * <li>ATS data: {@link org.iommuemu.tlp.TranslationCompletionEntry} and the S-bit
 *     {@link org.iommuemu.tlp.AtsRange}.</li>
 * <li>Prefixes: {@link org.iommuemu.tlp.PasidPrefix}, {@link org.iommuemu.tlp.IdePrefix} (the TDISP T bit);
 *     flit mode: {@link org.iommuemu.tlp.FlitHeaderBase}, {@link org.iommuemu.tlp.OhcA1},
 *     {@link org.iommuemu.tlp.OhcC}.</li>
 * <li>Every bit position that no public source confirmed is in {@link org.iommuemu.tlp.UnverifiedLayout}.</li>
 * <li>{@link org.iommuemu.tlp.TlpEncoder} builds whole TLPs; {@link org.iommuemu.tlp.TlpFormatter} prints one
 *     per line.</li>
 * </ul>
 */
package org.iommuemu.tlp;
