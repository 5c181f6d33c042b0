/** Import of NetTLP captures (pcap of Ethernet / IPv4 / UDP / NetTLP header / TLP). */
package org.iommuemu.tlp.nettlp;
