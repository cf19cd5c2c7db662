-- tshark tap for tests/real/iscsi_check.sh: groups the fields of Wireshark's iSCSI and SCSI
-- dissectors by PDU, matches every SCSI Data-In to its READ(10)/READ(16) by Initiator Task Tag
-- and compares the data with the lab's LUN pattern (the 8-byte word at LUN byte offset 8k holds
-- k, big-endian). Prints one line per READ, "READ LBA BLOCKS ok" or "READ LBA BLOCKS FAIL why",
-- "ERROR why" for a Data-In that belongs to no READ or a digest that is wrong, and one line
-- "DIGESTS ..." counting full-feature PDUs and PDUs with data against the Good header and data
-- digests the dissector found on them. The shell wrapper judges these lines.

local BLOCK = 512

local reads = {}   -- ITT -> {lba, blocks, len, pieces = {{offset, len}}, bad, status}
local order = {}   -- ITTs in the order their READs appeared
local errors = {}
-- Full-feature PDUs (not Login), those with a Good header digest; PDUs with data, those with
-- a Good data digest; the same for the Data-In PDUs with data alone.
local dg = {ff = 0, hd_good = 0, data = 0, dd_good = 0, datain = 0, datain_dd_good = 0}

local function expected_hex(first, len)
  local words = {}
  for k = math.floor(first / 8), math.floor((first + len - 1) / 8) do
    words[#words + 1] = string.format("%016x", k)
  end
  local skip = (first % 8) * 2
  return table.concat(words):sub(skip + 1, skip + len * 2)
end

-- The PDU's fields, collected from the packet's tree in order: every PDU starts with its opcode.
local function on_pdu(p)
  if p.op ~= 0x03 and p.op ~= 0x23 then
    dg.ff = dg.ff + 1
    if p.hd_good then dg.hd_good = dg.hd_good + 1 end
    if (p.dsl or 0) > 0 then
      dg.data = dg.data + 1
      if p.dd_good then dg.dd_good = dg.dd_good + 1 end
      if p.op == 0x25 then
        dg.datain = dg.datain + 1
        if p.dd_good then dg.datain_dd_good = dg.datain_dd_good + 1 end
      end
    end
  end
  if p.op == 0x01 and (p.cdb == 0x28 or p.cdb == 0x88) then
    reads[p.itt] = {lba = p.lba, blocks = p.blocks, len = p.blocks * BLOCK, pieces = {}}
    order[#order + 1] = p.itt
  elseif p.op == 0x25 then
    local r = reads[p.itt]
    if not r then
      errors[#errors + 1] = string.format("Data-In for ITT 0x%08x, which no READ in the capture has", p.itt)
      return
    end
    local len = p.data and p.data:len() or 0
    if len ~= p.dsl then
      r.bad = r.bad or string.format("a Data-In at offset %d has %d of its %d data bytes dissected",
        p.offset, len, p.dsl)
      return
    end
    r.pieces[#r.pieces + 1] = {p.offset, len}
    if len > 0 and not r.bad then
      local got = p.data:tohex(true)
      local want = expected_hex(r.lba * BLOCK + p.offset, len)
      if got ~= want then
        local i = 1
        while got:sub(i, i + 1) == want:sub(i, i + 1) do i = i + 2 end
        r.bad = string.format("byte %d of the read differs from the LUN pattern", p.offset + (i - 1) / 2)
      end
    end
    if p.S then r.status = p.status end
  elseif p.op == 0x21 and reads[p.itt] then
    reads[p.itt].status = p.status
  end
end

local tap = Listener.new("frame", "iscsi", true)

function tap.packet(pinfo, tvb)
  local p
  for _, fi in ipairs({all_field_infos()}) do
    local n = fi.name
    -- The dissector learns the digests from the login and checks each one it finds.
    if (n == "iscsi.headerdigest32" or n == "iscsi.datadigest32") and fi.display:find("Bad") then
      errors[#errors + 1] = string.format("frame %d: %s %s", pinfo.number, n, fi.display)
    end
    if n == "iscsi.opcode" then
      if p then on_pdu(p) end
      p = {op = fi.value}
    elseif p then
      if n == "iscsi.headerdigest32" then p.hd_good = fi.display:find("Good") ~= nil
      elseif n == "iscsi.datadigest32" then p.dd_good = fi.display:find("Good") ~= nil
      elseif n == "iscsi.initiatortasktag" then p.itt = fi.value
      elseif n == "iscsi.bufferOffset" then p.offset = fi.value
      elseif n == "iscsi.datasegmentlength" then p.dsl = fi.value
      elseif n == "iscsi.scsidata.S" then p.S = fi.value
      elseif n == "iscsi.scsiresponse.status" then p.status = fi.value
      elseif n == "scsi_sbc.opcode" then p.cdb = fi.value
      -- READ(10): 32-bit LBA and 16-bit count; READ(16): its LBA as 8 bytes, the count as READ(12)'s.
      elseif n == "scsi_sbc.rdwr10.lba" then p.lba = fi.value
      elseif n == "scsi_sbc.rdwr16.lba" then p.lba = tonumber(fi.value:tohex(), 16)
      elseif n == "scsi_sbc.rdwr10.xferlen" or n == "scsi_sbc.rdwr12.xferlen" then p.blocks = fi.value
      -- The read data: the SCSI payload item of a Data-In (the status item after it is empty).
      elseif n == "scsi" and p.op == 0x25 and fi.len > 0 then p.data = fi.range:bytes()
      end
    end
  end
  if p then on_pdu(p) end
end

function tap.draw()
  print(string.format("DIGESTS %d %d %d %d %d %d", dg.ff, dg.hd_good, dg.data, dg.dd_good,
    dg.datain, dg.datain_dd_good))
  for _, e in ipairs(errors) do print("ERROR " .. e) end
  for _, itt in ipairs(order) do
    local r = reads[itt]
    local why = r.bad
    if not why then
      table.sort(r.pieces, function(a, b) return a[1] < b[1] end)
      local covered = 0
      for _, piece in ipairs(r.pieces) do
        if piece[1] ~= covered then
          why = string.format("Data-In at offset %d where %d was next", piece[1], covered)
          break
        end
        covered = covered + piece[2]
      end
      why = why or (covered ~= r.len and string.format("incomplete: %d of %d bytes", covered, r.len))
    end
    if not why and r.status ~= 0 then
      why = r.status and string.format("SCSI status 0x%02x", r.status) or "no status"
    end
    print(string.format("READ %d %d %s", r.lba, r.blocks, why and ("FAIL " .. why) or "ok"))
  end
end
