-- Wireshark dissector for iommu-emu pcie-tlp pcapng files (link type 150 = LINKTYPE_USER3).
-- Layout: docs/trace-format.md. Each packet: 8-byte pseudo-header, then one TLP in wire order.
-- Use: wireshark -X lua_script:pcie_tlp.lua FILE.pcapng, or install it as a plugin: copy this file into the personal
-- Lua plugins folder (Help > About Wireshark > Folders; ~/.local/lib/wireshark/plugins on Linux and macOS,
-- %APPDATA%\Wireshark\plugins on Windows) and restart Wireshark. docs/trace-format.md has the details.
-- Non-flit TLPs are decoded (prefixes, DW0, request/completion/message fields); flit-mode TLPs show DW0 only.
-- ATS: a translation request (MRd, AT = 01) is remembered by requester and tag, and the CplD answering it is decoded
-- as Translation Completion entries (PCIe Base 10.2.3). PRI Page Requests and PRG Responses, ATS Invalidate Requests
-- and Completions are decoded from their message codes. Requester, completer and destination IDs show as
-- bus:dev.fn (filterable as pcie_tlp.requester_bdf, ...); the packet's source and destination are the BDFs of the
-- two ends (the root complex is 00:00.0 for upstream memory requests and messages routed to it), as addresses
-- 0.BUS.DEV.FN, so Statistics > Conversations (IPv4 tab) and "Follow" group a device's traffic.
-- Bit positions marked UNVERIFIED in the Java codec (IDE prefix, flit header base, Page Request DW3, PRG Response,
-- invalidate ITag) are decoded the same way here.

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
f.requester_bdf = ProtoField.string("pcie_tlp.requester_bdf", "Requester (bus:dev.fn)")
f.completer_bdf = ProtoField.string("pcie_tlp.completer_bdf", "Completer (bus:dev.fn)")
f.dest_bdf  = ProtoField.string("pcie_tlp.destination_bdf", "Destination (bus:dev.fn)")
f.src_bdf   = ProtoField.string("pcie_tlp.src", "Source (bus:dev.fn)")
f.dst_bdf   = ProtoField.string("pcie_tlp.dst", "Destination end (bus:dev.fn)")
f.conversation = ProtoField.string("pcie_tlp.conversation", "Conversation (lower:higher bus:dev.fn)")
f.ats_entry = ProtoField.uint64("pcie_tlp.ats.entry", "Translation Completion entry", base.HEX)
f.ats_addr  = ProtoField.uint64("pcie_tlp.ats.translated_address", "Translated address", base.HEX)
f.ats_size  = ProtoField.uint64("pcie_tlp.ats.range_size", "Range size (bytes)", base.DEC)
f.ats_r     = ProtoField.bool("pcie_tlp.ats.r", "R (read)")
f.ats_w     = ProtoField.bool("pcie_tlp.ats.w", "W (write)")
f.ats_u     = ProtoField.bool("pcie_tlp.ats.u", "U (untranslated only)")
f.ats_exe   = ProtoField.bool("pcie_tlp.ats.exe", "Exe")
f.ats_priv  = ProtoField.bool("pcie_tlp.ats.priv", "Priv")
f.ats_g     = ProtoField.bool("pcie_tlp.ats.global", "Global")
f.ats_n     = ProtoField.bool("pcie_tlp.ats.n", "N (non-snooped)")
f.ats_request = ProtoField.framenum("pcie_tlp.ats.request_frame", "Translation request in frame")
f.prg_page  = ProtoField.uint64("pcie_tlp.pri.page_address", "Page address", base.HEX)
f.prg_index = ProtoField.uint16("pcie_tlp.pri.prgi", "Page Request Group Index", base.DEC)
f.prg_last  = ProtoField.bool("pcie_tlp.pri.last", "L (last request of the group)")
f.prg_write = ProtoField.bool("pcie_tlp.pri.write", "W (write access)")
f.prg_read  = ProtoField.bool("pcie_tlp.pri.read", "R (read access)")
f.prg_code  = ProtoField.uint8("pcie_tlp.pri.response_code", "Response Code", base.DEC,
    { [0] = "Success", [1] = "Invalid Request", [0xF] = "Response Failure" })
f.inv_itag  = ProtoField.uint8("pcie_tlp.ats.itag", "ITag", base.DEC)
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

-- The packet's two ends: as generated fields (pcie_tlp.src, pcie_tlp.dst, and pcie_tlp.conversation, the same for
-- both directions, so one filter shows a device's exchange with the root complex), and as the packet's source and
-- destination addresses 0.BUS.DEV.FN in decimal (0.0.0.0/8 never appears on a link) for the Source and Destination
-- columns and the conversation colouring and filters that work from them.
local function ends(pinfo, tree, from, to)
    local low, high = math.min(from, to), math.max(from, to)
    tree:add(f.src_bdf, bdf(from)):set_generated()
    tree:add(f.dst_bdf, bdf(to)):set_generated()
    tree:add(f.conversation, bdf(low) .. "-" .. bdf(high)):set_generated()
    local function address(id)
        return Address.ip(string.format("0.%d.%d.%d", bit.rshift(id, 8), bit.band(bit.rshift(id, 3), 0x1F), bit.band(id, 7)))
    end
    pinfo.src = address(from)
    pinfo.dst = address(to)
    pinfo.cols.src = bdf(from)
    pinfo.cols.dst = bdf(to)
end

-- A BDF field pair: the 16-bit ID and its bus:dev.fn text.
local function add_id(tree, field, text_field, range)
    local id = range:uint()
    tree:add(field, range):append_text(" (" .. bdf(id) .. ")")
    tree:add(text_field, range, bdf(id))
    return id
end

-- ATS translation requests seen, by requester and tag (frame number), and completions found to answer one.
local ats_requests = {}
local ats_answers = {}

-- The size of an ATS translated range: 4 KiB, or with S the lowest clear bit of the address from bit 12 up.
local function ats_range_size(entry_hi, entry_lo)
    if bit.band(entry_lo, 0x800) == 0 then return 4096 end
    local lg2 = 13
    local lo = bit.rshift(entry_lo, 12)
    for i = 0, 19 do
        if bit.band(lo, bit.lshift(1, i)) == 0 then return 2 ^ (12 + i + 1) end
    end
    for i = 0, 31 do
        if bit.band(entry_hi, bit.lshift(1, i)) == 0 then return 2 ^ (32 + i + 1) end
    end
    return 2 ^ 64
end

local function ats_entries(root, tvb, dpos, dlen, pinfo, request_frame)
    local t = root:add(p, tvb(dpos, dlen), string.format("ATS Translation Completion (%d entr%s)", dlen / 8, dlen == 8 and "y" or "ies"))
    if request_frame then t:add(f.ats_request, request_frame) end
    local first
    for e = 0, dlen / 8 - 1 do
        local at = dpos + e * 8
        local hi = tvb(at, 4):uint()
        local lo = tvb(at + 4, 4):uint()
        local size = ats_range_size(hi, lo)
        local e_tree = t:add(f.ats_entry, tvb(at, 8))
        -- With S the low address bits encode the size: the range's base clears them.
        local address = UInt64(bit.band(lo, 0xFFFFF000), hi)
        if size > 4096 and size < 2 ^ 63 then
            address = address:band(UInt64.max() - UInt64(size - 1))
        end
        e_tree:add(f.ats_addr, tvb(at, 8), address)
        e_tree:add(f.ats_size, tvb(at, 8), UInt64(size))
        e_tree:add(f.ats_r, tvb(at + 7, 1), bit.band(lo, 1) ~= 0)
        e_tree:add(f.ats_w, tvb(at + 7, 1), bit.band(lo, 2) ~= 0)
        e_tree:add(f.ats_u, tvb(at + 7, 1), bit.band(lo, 4) ~= 0)
        e_tree:add(f.ats_exe, tvb(at + 7, 1), bit.band(lo, 8) ~= 0)
        e_tree:add(f.ats_priv, tvb(at + 7, 1), bit.band(lo, 0x10) ~= 0)
        e_tree:add(f.ats_g, tvb(at + 7, 1), bit.band(lo, 0x20) ~= 0)
        e_tree:add(f.ats_n, tvb(at + 6, 1), bit.band(lo, 0x400) ~= 0)
        local perms = (bit.band(lo, 1) ~= 0 and "R" or "") .. (bit.band(lo, 2) ~= 0 and "W" or "")
        if perms == "" then perms = "no access" end
        local text = string.format("0x%s, %d KiB, %s", address:tohex():gsub("^0+(.)", "%1"), size / 1024, perms)
        e_tree:append_text(" (" .. text .. ")")
        first = first or text
    end
    return first
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
    local ats_answer
    if (ttype == 0x0A or ttype == 0x0B) then
        local completer = add_id(h, f.completer, f.completer_bdf, tvb(pos + 4, 2))
        h:add(f.status, tvb(pos + 6, 2)); h:add(f.bcm, tvb(pos + 6, 2))
        h:add(f.byte_count, tvb(pos + 6, 2))
        local requester = add_id(h, f.requester, f.requester_bdf, tvb(pos + 8, 2))
        h:add(f.tag, tvb(pos + 10, 1))
        h:add(f.lower_addr, tvb(pos + 11, 1))
        ends(pinfo, root, completer, requester)
        line = line .. string.format(" cpl %s bc %d req %s tag 0x%02x", bdf(completer),
            bit.band(tvb(pos + 6, 2):uint(), 0xFFF), bdf(requester), tvb(pos + 10, 1):uint())
        local key = requester * 1024 + tvb(pos + 10, 1):uint()
        if not pinfo.visited then
            local request = ats_requests[key]
            if request and request < pinfo.number and bit.band(fmt, 2) == 2 then
                ats_answers[pinfo.number] = request
                ats_requests[key] = nil
            end
        end
        ats_answer = ats_answers[pinfo.number]
    elseif bit.band(ttype, 0x18) == 0x10 then
        local requester = add_id(h, f.requester, f.requester_bdf, tvb(pos + 4, 2))
        h:add(f.tag, tvb(pos + 6, 1)); h:add(f.msg_code, tvb(pos + 7, 1))
        local code = tvb(pos + 7, 1):uint()
        local routing = bit.band(ttype, 7)
        local destination = 0
        if routing == 2 then destination = add_id(h, f.dest, f.dest_bdf, tvb(pos + 8, 2)) end
        ends(pinfo, root, requester, destination)
        line = line .. string.format(" req %s code 0x%02x", bdf(requester), code)
        if code == 0x04 and pos + 16 <= tvb:len() then
            local t = h:add(p, tvb(pos + 8, 8), "PRI Page Request")
            local dw3 = tvb(pos + 12, 4):uint()
            local page = UInt64(bit.band(dw3, 0xFFFFF000), tvb(pos + 8, 4):uint())
            t:add(f.prg_page, tvb(pos + 8, 8), page)
            t:add(f.prg_index, tvb(pos + 14, 2), bit.band(bit.rshift(dw3, 3), 0x1FF))
            t:add(f.prg_last, tvb(pos + 15, 1), bit.band(dw3, 4) ~= 0)
            t:add(f.prg_write, tvb(pos + 15, 1), bit.band(dw3, 2) ~= 0)
            t:add(f.prg_read, tvb(pos + 15, 1), bit.band(dw3, 1) ~= 0)
            line = string.format("%s Page Request req %s page 0x%s prgi %d%s%s%s", dir, bdf(requester),
                page:tohex():gsub("^0+(.)", "%1"), bit.band(bit.rshift(dw3, 3), 0x1FF), bit.band(dw3, 1) ~= 0 and " R" or "",
                bit.band(dw3, 2) ~= 0 and " W" or "", bit.band(dw3, 4) ~= 0 and " last" or "")
        elseif code == 0x05 and pos + 16 <= tvb:len() then
            local t = h:add(p, tvb(pos + 12, 4), "PRG Response")
            local dw3 = tvb(pos + 12, 4):uint()
            t:add(f.prg_code, tvb(pos + 14, 1), bit.band(bit.rshift(dw3, 12), 0xF))
            t:add(f.prg_index, tvb(pos + 14, 2), bit.band(dw3, 0x1FF))
            line = string.format("%s PRG Response to %s prgi %d code %d", dir, bdf(destination), bit.band(dw3, 0x1FF),
                bit.band(bit.rshift(dw3, 12), 0xF))
        elseif code == 0x01 then
            h:add(f.inv_itag, tvb(pos + 11, 1), bit.band(tvb(pos + 11, 1):uint(), 0x1F))
            line = string.format("%s ATS Invalidate Request to %s itag %d", dir, bdf(destination), bit.band(tvb(pos + 11, 1):uint(), 0x1F))
        elseif code == 0x02 then
            line = string.format("%s ATS Invalidate Completion from %s", dir, bdf(requester))
        end
    elseif ttype == 0x04 or ttype == 0x05 then
        local requester = add_id(h, f.requester, f.requester_bdf, tvb(pos + 4, 2))
        h:add(f.tag, tvb(pos + 6, 1)); h:add(f.last_be, tvb(pos + 7, 1))
        h:add(f.first_be, tvb(pos + 7, 1))
        local destination = add_id(h, f.dest, f.dest_bdf, tvb(pos + 8, 2))
        h:add(f.register, tvb(pos + 10, 2))
        ends(pinfo, root, requester, destination)
        line = line .. string.format(" req %s dest %s", bdf(requester), bdf(destination))
    else
        local requester = add_id(h, f.requester, f.requester_bdf, tvb(pos + 4, 2))
        h:add(f.tag, tvb(pos + 6, 1)); h:add(f.last_be, tvb(pos + 7, 1))
        h:add(f.first_be, tvb(pos + 7, 1))
        if dir == "up" then ends(pinfo, root, requester, 0) else ends(pinfo, root, 0, requester) end
        if at == 1 and ttype == 0 and not pinfo.visited then
            ats_requests[requester * 1024 + tvb(pos + 6, 1):uint()] = pinfo.number
        end
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
        local present = math.min(dlen, tvb:len() - dpos)
        if ats_answer and present >= 8 then
            line = line .. " ATS " .. ats_entries(root, tvb, dpos, present - present % 8, pinfo, ats_answer)
        else
            root:add(f.data, tvb(dpos, present))
        end
    end
    if td and dpos + dlen + 4 <= tvb:len() then
        root:add(f.ecrc, tvb(dpos + dlen, 4))
    end
    for _, s in ipairs(info) do line = line .. " " .. s end
    pinfo.cols.info = line
    return tvb:len()
end

function p.init()
    ats_requests = {}
    ats_answers = {}
end

local encaps = wtap_encaps or wtap
DissectorTable.get("wtap_encap"):add(encaps.USER3, p)
