// CRC32C (Castagnoli, reflected polynomial 0x82F63B78) register update for one datapath beat,
// the RTL twin of hw/crc/crc32c_pipe_model (same ports, same latency, same results every cycle).
// Fully pipelined at one beat per cycle, also when every beat belongs to the same flow.
//
// A beat is up to BYTES bytes (byte i at in_data[8i+7:8i]); the bytes whose in_keep bit is set
// are folded into the CRC register in lane order, any mask allowed (disabled lanes are skipped,
// not zero-filled). in_first starts a PDU from 0xFFFFFFFF. On in_last, out_match says whether
// the finished CRC (register xor 0xFFFFFFFF) equals in_digest, the little-endian DDGST from the
// wire. in_tag names the running register the beat extends (the flow, or a PDU of it).
//
// Why the running state comes in late: a flow's next beat follows its previous one in the next
// cycle, long before that beat's state is out. So the early stages fold the beat's enabled
// bytes into a zero register, independently of the running state; the last stage joins them,
// by linearity of the CRC over GF(2):
//   state' = state * x^(8n) mod P  xor  crc_from_zero(enabled bytes),  n = enabled bytes,
// with one 32x32 constant matrix per n (SHIFT below), so the state path through the last stage
// is one matrix-vector product whatever LATENCY is.
//
// Ports and timing (cycle t: the cycle in_valid is high; results exactly LATENCY cycles later):
//   in_valid, in_data, in_keep, in_first, in_last, in_digest, in_tag   cycle t. No ready:
//       back-pressure is the absence of in_valid.
//   fold_state   cycle t + LATENCY - 1, when the beat is in the last stage: the running raw
//       register (no init, no final xor) of in_tag's register as its store holds it, the store
//       being written with out_state at the end of every out_valid cycle. Ignored on in_first.
//       Forwarding: if out_valid is high in that cycle with out_tag equal to the beat's tag
//       (the beat just ahead extended the same register; its result is not stored yet), the
//       pipe takes out_state instead. Only that beat needs it: any earlier one was stored.
//   out_valid, out_state, out_match, out_tag   cycle t + LATENCY. Output registers load only
//       with a valid beat, so out_state and out_tag hold between beats; out_match is 0 unless
//       out_valid.
// With LATENCY = 1, fold_state belongs to the beat on the input ports.
//
// Inside: LATENCY register stages, ceil(BYTES/LATENCY) lanes folded per stage; the last stage
// also takes in the state. Synchronous active-low reset clears everything but the beat's bytes.
module crc32c_pipe #(
    parameter int BYTES = 64,
    parameter int LATENCY = 2,
    parameter int TAG_BITS = 8
) (
    input  logic                clk,
    input  logic                rst_n,     // synchronous
    input  logic                in_valid,
    input  logic [BYTES*8-1:0]  in_data,
    input  logic [BYTES-1:0]    in_keep,
    input  logic                in_first,
    input  logic                in_last,
    input  logic [31:0]         in_digest,
    input  logic [TAG_BITS-1:0] in_tag,
    input  logic [31:0]         fold_state,
    output logic                out_valid,
    output logic [31:0]         out_state,
    output logic                out_match,
    output logic [TAG_BITS-1:0] out_tag
);
  localparam int LANES = (BYTES + LATENCY - 1) / LATENCY;  // lanes folded per stage
  localparam int NBITS = $clog2(BYTES + 1);                 // enabled bytes: 0..BYTES

  // One byte into the reflected register, bit-serial; synthesis flattens it into XOR trees.
  function automatic logic [31:0] crc_byte(input logic [31:0] crc, input logic [7:0] b);
    logic [31:0] c;
    c = crc ^ {24'b0, b};
    for (int k = 0; k < 8; k++) c = (c >> 1) ^ (32'h82F63B78 & {32{c[0]}});
    return c;
  endfunction

  // SHIFT[n][j]: the register after n zero bytes from register bit j alone, i.e. the columns of
  // the matrix of "times x^(8n) mod P". Constants, evaluated at elaboration.
  function automatic logic [BYTES:0][31:0][31:0] shift_table();
    logic [BYTES:0][31:0][31:0] t;
    for (int j = 0; j < 32; j++) t[0][j] = 32'h1 << j;
    for (int n = 1; n <= BYTES; n++)
      for (int j = 0; j < 32; j++) t[n][j] = crc_byte(t[n-1][j], 8'h00);
    return t;
  endfunction
  localparam logic [BYTES:0][31:0][31:0] SHIFT = shift_table();

  function automatic logic [31:0] times(input logic [31:0][31:0] m, input logic [31:0] s);
    logic [31:0] r;
    r = '0;
    for (int j = 0; j < 32; j++) if (s[j]) r ^= m[j];
    return r;
  endfunction

  // Index s holds what enters stage s: 0 is the input ports, LATENCY the output registers.
  // crc(1..LATENCY-1) are the beat's CRC from a zero register, crc(LATENCY) the state out.
  // v_q and crc are public so that waveforms can show them (hw/common/RtlTrace).
  logic [LATENCY:1]    v_q /*verilator public_flat_rd*/;  // valid registers
  logic [LATENCY:0]    v;
  logic [31:0]         crc   [LATENCY+1] /*verilator public_flat_rd*/;
  logic [NBITS-1:0]    n     [LATENCY];    // enabled bytes of the beat
  logic                first [LATENCY];
  logic                last  [LATENCY+1];
  logic [31:0]         digest[LATENCY+1];
  logic [TAG_BITS-1:0] tag   [LATENCY+1];
  // Beat bytes and enables are only needed by the stages that still have lanes to fold.
  logic [BYTES*8-1:0]  data  [LATENCY];
  logic [BYTES-1:0]    keep  [LATENCY];

  assign v = {v_q, in_valid};
  assign crc[0] = '0;
  assign n[0] = NBITS'($countones(in_keep));
  assign first[0] = in_first;
  assign data[0] = in_data;
  assign keep[0] = in_keep;
  assign last[0] = in_last;
  assign digest[0] = in_digest;
  assign tag[0] = in_tag;

  for (genvar s = 0; s < LATENCY; s++) begin : g_stage
    // This stage folds lanes [FIRST, FIRST + N) of the beat.
    localparam int FIRST = s * LANES;
    localparam int N = BYTES - FIRST < LANES ? BYTES - FIRST : LANES;
    logic [31:0] folded, next;
    always_comb begin
      folded = crc[s];
      for (int l = FIRST; l < FIRST + N; l++)
        if (keep[s][l]) folded = crc_byte(folded, data[s][8*l+:8]);
    end

    if (s + 1 < LATENCY) begin : g_fold
      assign next = folded;
      always_ff @(posedge clk) begin
        if (!rst_n) begin
          n[s+1] <= '0;
          first[s+1] <= 1'b0;
        end else if (v[s]) begin
          n[s+1] <= n[s];
          first[s+1] <= first[s];
          data[s+1] <= data[s];
          keep[s+1] <= keep[s];
        end
      end
    end else begin : g_join
      // The running state: PDU start, the result just ahead of the same register, or the store.
      logic [31:0] state;
      assign state = first[s] ? 32'hFFFFFFFF
                   : v[LATENCY] && tag[LATENCY] == tag[s] ? crc[LATENCY] : fold_state;
      assign next = times(SHIFT[n[s]], state) ^ folded;
    end

    always_ff @(posedge clk) begin
      if (!rst_n) begin
        v_q[s+1] <= 1'b0;
        crc[s+1] <= '0;
        last[s+1] <= 1'b0;
        digest[s+1] <= '0;
        tag[s+1] <= '0;
      end else begin
        v_q[s+1] <= v[s];
        if (v[s]) begin
          crc[s+1] <= next;
          last[s+1] <= last[s];
          digest[s+1] <= digest[s];
          tag[s+1] <= tag[s];
        end
      end
    end
  end

  assign out_valid = v[LATENCY];
  assign out_state = crc[LATENCY];
  assign out_match = v[LATENCY] & last[LATENCY] & ((crc[LATENCY] ^ 32'hFFFFFFFF) == digest[LATENCY]);
  assign out_tag = tag[LATENCY];
endmodule
