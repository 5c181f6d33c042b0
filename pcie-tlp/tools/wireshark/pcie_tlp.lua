-- Wireshark dissector for iommu-emu pcie-tlp pcapng files (link type 150 = LINKTYPE_USER3).
-- Layout: docs/trace-format.md. Each packet: 8-byte pseudo-header, then one TLP in wire order.
-- Use: wireshark -X lua_script:pcie_tlp.lua FILE.pcapng   (or copy into the personal plugins folder)
-- Non-flit TLPs are decoded (prefixes, DW0, request/completion/message fields); flit-mode TLPs show DW0 only.
-- Bit positions marked UNVERIFIED in the Java codec (IDE prefix, flit header base) are decoded the same way here.

local p = Proto("pcie_tlp", "PCIe TLP (iommu-emu)")
local f = p.fields

f.version   = ProtoField.uint8("pcie_tlp.version", "Pseudo-header version")
f.upstream  = ProtoField.bool("pcie_tlp.upstream", "Upstream", 8, nil, 0x01)
f.flit      = ProtoField.bool("pcie_tlp.flit", "Flit mode", 8, nil, 0x02)
f.ide_valid = ProtoField.bool("pcie_tlp.ide_valid", "Out-of-band IDE fields valid", 8, nil, 0x04)
f.oob_t     = ProtoField.bool("pcie_tlp.oob_t", "Out-of-band T", 8, nil, 0x08)
f.port      = ProtoField.uint16("pcie_tlp.port", "Port / link id")
f.oob_stream = ProtoField.uint8("pcie_tlp.oob_stream", "Out-of-band stream ID", base.HEX)

f.pasid     = ProtoField.uint24("pcie_tlp.pasid", "PASID", base.HEX, nil, 0x0FFFFF)
f.pasid_er  = ProtoField.bool("pcie_tlp.pasid.er", "Execute Requested", 24, nil, 0x100000)
f.pasid_pmr = ProtoField.bool("pcie_tlp.pasid.pmr", "Privileged Mode Requested", 24, nil, 0x200000)
f.ide_prc   = ProtoField.uint8("pcie_tlp.ide.pr_sent_counter", "PR_Sent_Counter")
f.ide_stream = ProtoField.uint8("pcie_tlp.ide.stream", "Stream ID", base.HEX)
f.ide_sub   = ProtoField.uint8("pcie_tlp.ide.substream", "Sub-Stream", base.DEC, nil, 0x70)
f.ide_p     = ProtoField.bool("pcie_tlp.ide.p", "P (PCRC)", 8, nil, 0x08)
f.ide_m     = ProtoField.bool("pcie_tlp.ide.m", "M (MAC)", 8, nil, 0x04)
f.ide_k     = ProtoField.bool("pcie_tlp.ide.k", "K (key set)", 8, nil, 0x02)
f.ide_t     = ProtoField.bool("pcie_tlp.ide.t", "T (TEE)", 8, nil, 0x01)

f.fmt    = ProtoField.uint8("pcie_tlp.fmt", "Fmt", base.DEC, nil, 0xE0)
f.type   = ProtoField.uint8("pcie_tlp.type", "Type", base.HEX, nil, 0x1F)
f.t9     = ProtoField.bool("pcie_tlp.t9", "T9", 8, nil, 0x80)
f.tc     = ProtoField.uint8("pcie_tlp.tc", "TC", base.DEC, nil, 0x70)
f.t8     = ProtoField.bool("pcie_tlp.t8", "T8", 8, nil, 0x08)
f.attr2  = ProtoField.bool("pcie_tlp.attr.ido", "Attr[2] IDO", 8, nil, 0x04)
f.ln     = ProtoField.bool("pcie_tlp.ln", "LN", 8, nil, 0x02)
f.th     = ProtoField.bool("pcie_tlp.th", "TH", 8, nil, 0x01)
f.td     = ProtoField.bool("pcie_tlp.td", "TD (ECRC present)", 16, nil, 0x8000)
f.ep     = ProtoField.bool("pcie_tlp.ep", "EP (poisoned)", 16, nil, 0x4000)
f.attr10 = ProtoField.uint16("pcie_tlp.attr", "Attr[1:0] (RO, NS)", base.DEC, nil, 0x3000)
f.at     = ProtoField.uint16("pcie_tlp.at", "AT", base.DEC,
    { [0] = "Untranslated", [1] = "Translation Request", [2] = "Translated", [3] = "Reserved" }, 0x0C00)
f.length = ProtoField.uint16("pcie_tlp.length", "Length (DW)", base.DEC, nil, 0x03FF)

f.requester = ProtoField.uint16("pcie_tlp.requester", "Requester ID", base.HEX)
f.completer = ProtoField.uint16("pcie_tlp.completer", "Completer ID", base.HEX)
f.tag       = ProtoField.uint8("pcie_tlp.tag", "Tag[7:0]", base.HEX)
f.last_be   = ProtoField.uint8("pcie_tlp.last_be", "Last DW BE", base.HEX, nil, 0xF0)
f.first_be  = ProtoField.uint8("pcie_tlp.first_be", "First DW BE", base.HEX, nil, 0x0F)
f.address   = ProtoField.uint64("pcie_tlp.address", "Address", base.HEX)
f.status    = ProtoField.uint16("pcie_tlp.status", "Completion Status", base.DEC,
    { [0] = "SC", [1] = "UR", [2] = "CRS", [4] = "CA" }, 0xE000)
f.bcm       = ProtoField.bool("pcie_tlp.bcm", "BCM", 16, nil, 0x1000)
f.byte_count = ProtoField.uint16("pcie_tlp.byte_count", "Byte Count", base.DEC, nil, 0x0FFF)
f.lower_addr = ProtoField.uint8("pcie_tlp.lower_address", "Lower Address", base.HEX, nil, 0x7F)
f.msg_code  = ProtoField.uint8("pcie_tlp.message_code", "Message Code", base.HEX)
f.dest      = ProtoField.uint16("pcie_tlp.destination", "Destination ID", base.HEX)
f.register  = ProtoField.uint16("pcie_tlp.register", "Register number (DW)", base.HEX, nil, 0x0FFC)
f.data      = ProtoField.bytes("pcie_tlp.data", "Data")
f.ecrc      = ProtoField.uint32("pcie_tlp.ecrc", "ECRC", base.HEX)

local names = {
    [0x00] = "MRd32", [0x20] = "MRd64", [0x01] = "MRdLk32", [0x21] = "MRdLk64",
    [0x40] = "MWr32", [0x60] = "MWr64", [0x02] = "IORd", [0x42] = "IOWr",
    [0x04] = "CfgRd0", [0x44] = "CfgWr0", [0x05] = "CfgRd1", [0x45] = "CfgWr1",
    [0x0A] = "Cpl", [0x4A] = "CplD", [0x0B] = "CplLk", [0x4B] = "CplDLk",
    [0x4C] = "FetchAdd32", [0x6C] = "FetchAdd64", [0x4D] = "Swap32", [0x6D] = "Swap64",
    [0x4E] = "CAS32", [0x6E] = "CAS64", [0x5B] = "DMWr32", [0x7B] = "DMWr64",
}

local function bdf(id)
    return string.format("%02x:%02x.%d", bit.rshift(id, 8), bit.band(bit.rshift(id, 3), 0x1F), bit.band(id, 7))
end

function p.dissector(tvb, pinfo, tree)
    if tvb:len() < 8 then return 0 end
    pinfo.cols.protocol = "PCIe TLP"
    local root = tree:add(p, tvb(), "PCIe TLP (iommu-emu)")
    local ph = root:add(p, tvb(0, 8), "Pseudo-header")
    ph:add(f.version, tvb(0, 1))
    ph:add(f.upstream, tvb(1, 1)); ph:add(f.flit, tvb(1, 1)); ph:add(f.ide_valid, tvb(1, 1)); ph:add(f.oob_t, tvb(1, 1))
    ph:add(f.port, tvb(2, 2)); ph:add(f.oob_stream, tvb(4, 1))
    local flags = tvb(1, 1):uint()
    local dir = bit.band(flags, 1) == 1 and "up" or "down"
    local pos = 8
    local info = {}
    if bit.band(flags, 2) == 2 then
        local t = root:add(p, tvb(pos), "Flit-mode TLP (header base DW0 only)")
        t:add(f.type, tvb(pos, 1))
        pinfo.cols.info = string.format("%s FM type 0x%02x", dir, tvb(pos, 1):uint())
        return tvb:len()
    end
    while pos + 4 <= tvb:len() and bit.band(tvb(pos, 1):uint(), 0xE0) == 0x80 do
        local b0 = tvb(pos, 1):uint()
        if b0 == 0x91 then
            local t = root:add(p, tvb(pos, 4), "PASID prefix")
            t:add(f.pasid, tvb(pos + 1, 3)); t:add(f.pasid_er, tvb(pos + 1, 3)); t:add(f.pasid_pmr, tvb(pos + 1, 3))
            table.insert(info, string.format("pasid 0x%x", bit.band(tvb(pos + 1, 3):uint(), 0xFFFFF)))
        elseif b0 == 0x92 then
            local t = root:add(p, tvb(pos, 4), "IDE prefix")
            t:add(f.ide_prc, tvb(pos + 1, 1)); t:add(f.ide_stream, tvb(pos + 2, 1)); t:add(f.ide_sub, tvb(pos + 3, 1))
            t:add(f.ide_p, tvb(pos + 3, 1)); t:add(f.ide_m, tvb(pos + 3, 1)); t:add(f.ide_k, tvb(pos + 3, 1))
            t:add(f.ide_t, tvb(pos + 3, 1))
            table.insert(info, string.format("ide t=%d stream 0x%02x", bit.band(tvb(pos + 3, 1):uint(), 1),
                tvb(pos + 2, 1):uint()))
        else
            root:add(p, tvb(pos, 4), string.format("TLP prefix 0x%02x", b0))
        end
        pos = pos + 4
    end
    if pos + 12 > tvb:len() then
        pinfo.cols.info = dir .. " truncated TLP"
        return tvb:len()
    end
    local b0 = tvb(pos, 1):uint()
    local fmt = bit.rshift(b0, 5)
    local ttype = bit.band(b0, 0x1F)
    local four = bit.band(fmt, 1) == 1
    local hlen = four and 16 or 12
    local name = names[b0]
    if bit.band(ttype, 0x18) == 0x10 and (fmt == 1 or fmt == 3) then
        name = (fmt == 3 and "MsgD" or "Msg") .. " r" .. bit.band(ttype, 7)
    end
    name = name or string.format("Reserved 0x%02x", b0)
    local h = root:add(p, tvb(pos, math.min(hlen, tvb:len() - pos)), "Header: " .. name)
    h:add(f.fmt, tvb(pos, 1)); h:add(f.type, tvb(pos, 1))
    h:add(f.t9, tvb(pos + 1, 1)); h:add(f.tc, tvb(pos + 1, 1)); h:add(f.t8, tvb(pos + 1, 1))
    h:add(f.attr2, tvb(pos + 1, 1)); h:add(f.ln, tvb(pos + 1, 1)); h:add(f.th, tvb(pos + 1, 1))
    h:add(f.td, tvb(pos + 2, 2)); h:add(f.ep, tvb(pos + 2, 2)); h:add(f.attr10, tvb(pos + 2, 2))
    h:add(f.at, tvb(pos + 2, 2)); h:add(f.length, tvb(pos + 2, 2))
    local length = bit.band(tvb(pos + 2, 2):uint(), 0x3FF)
    if length == 0 then length = 1024 end
    local td = bit.band(tvb(pos + 2, 1):uint(), 0x80) == 0x80
    local line = string.format("%s %s len %d", dir, name, length)
    local at = bit.band(bit.rshift(tvb(pos + 2, 1):uint(), 2), 3)
    if at == 1 and ttype == 0 then line = line .. " ATS-TR" elseif at == 2 then line = line .. " translated" end
    if (ttype == 0x0A or ttype == 0x0B) then
        h:add(f.completer, tvb(pos + 4, 2)); h:add(f.status, tvb(pos + 6, 2)); h:add(f.bcm, tvb(pos + 6, 2))
        h:add(f.byte_count, tvb(pos + 6, 2)); h:add(f.requester, tvb(pos + 8, 2)); h:add(f.tag, tvb(pos + 10, 1))
        h:add(f.lower_addr, tvb(pos + 11, 1))
        line = line .. string.format(" cpl %s bc %d req %s tag 0x%02x", bdf(tvb(pos + 4, 2):uint()),
            bit.band(tvb(pos + 6, 2):uint(), 0xFFF), bdf(tvb(pos + 8, 2):uint()), tvb(pos + 10, 1):uint())
    elseif bit.band(ttype, 0x18) == 0x10 then
        h:add(f.requester, tvb(pos + 4, 2)); h:add(f.tag, tvb(pos + 6, 1)); h:add(f.msg_code, tvb(pos + 7, 1))
        if bit.band(ttype, 7) == 2 then h:add(f.dest, tvb(pos + 8, 2)) end
        line = line .. string.format(" req %s code 0x%02x", bdf(tvb(pos + 4, 2):uint()), tvb(pos + 7, 1):uint())
    elseif ttype == 0x04 or ttype == 0x05 then
        h:add(f.requester, tvb(pos + 4, 2)); h:add(f.tag, tvb(pos + 6, 1)); h:add(f.last_be, tvb(pos + 7, 1))
        h:add(f.first_be, tvb(pos + 7, 1)); h:add(f.dest, tvb(pos + 8, 2)); h:add(f.register, tvb(pos + 10, 2))
        line = line .. string.format(" req %s dest %s", bdf(tvb(pos + 4, 2):uint()), bdf(tvb(pos + 8, 2):uint()))
    else
        h:add(f.requester, tvb(pos + 4, 2)); h:add(f.tag, tvb(pos + 6, 1)); h:add(f.last_be, tvb(pos + 7, 1))
        h:add(f.first_be, tvb(pos + 7, 1))
        local addr
        if four then
            addr = UInt64(bit.band(tvb(pos + 12, 4):uint(), 0xFFFFFFFC), tvb(pos + 8, 4):uint())
            h:add(f.address, tvb(pos + 8, 8), addr)
        else
            addr = UInt64(bit.band(tvb(pos + 8, 4):uint(), 0xFFFFFFFC), 0)
            h:add(f.address, tvb(pos + 8, 4), addr)
        end
        line = line .. string.format(" req %s tag 0x%02x addr 0x%s", bdf(tvb(pos + 4, 2):uint()),
            tvb(pos + 6, 1):uint(), addr:tohex():gsub("^0+(.)", "%1"))
    end
    local dpos = pos + hlen
    local dlen = (bit.band(fmt, 2) == 2) and length * 4 or 0
    if dlen > 0 and dpos < tvb:len() then
        root:add(f.data, tvb(dpos, math.min(dlen, tvb:len() - dpos)))
    end
    if td and dpos + dlen + 4 <= tvb:len() then
        root:add(f.ecrc, tvb(dpos + dlen, 4))
    end
    for _, s in ipairs(info) do line = line .. " " .. s end
    pinfo.cols.info = line
    return tvb:len()
end

local encaps = wtap_encaps or wtap
DissectorTable.get("wtap_encap"):add(encaps.USER3, p)
