// CRC32C (Castagnoli, reflected polynomial 0x82F63B78) register update for one datapath beat,
// the RTL twin of hw/crc/crc32c_pipe_model (same ports, same latency, same results every cycle).
//
// A beat is up to BYTES bytes (byte i at in_data[8i+7:8i]); the bytes whose in_keep bit is set
// are folded into the CRC register in lane order, any mask allowed (disabled lanes are skipped,
// not zero-filled). in_state is the flow's running raw register (no init, no final xor);
// in_first starts a PDU from 0xFFFFFFFF instead. On in_last, out_match says whether the
// finished CRC (register xor 0xFFFFFFFF) equals in_digest, the little-endian DDGST from the
// wire. in_tag (e.g. the flow id) travels alongside so interleaved flows can be told apart.
//
// Timing: fully pipelined, one beat per cycle, results exactly LATENCY cycles after the beat
// (LATENCY register stages, ceil(BYTES/LATENCY) lanes folded per stage). There is no ready:
// back-pressure is the absence of in_valid. Output registers load only with a valid beat, so
// out_state and out_tag keep the last result between beats; out_match is 0 unless out_valid.
module crc32c_pipe #(
    parameter int BYTES = 64,
    parameter int LATENCY = 2,
    parameter int TAG_BITS = 8
) (
    input  logic                clk,
    input  logic                rst_n,     // synchronous
    input  logic                in_valid,
    input  logic [31:0]         in_state,
    input  logic [BYTES*8-1:0]  in_data,
    input  logic [BYTES-1:0]    in_keep,
    input  logic                in_first,
    input  logic                in_last,
    input  logic [31:0]         in_digest,
    input  logic [TAG_BITS-1:0] in_tag,
    output logic                out_valid,
    output logic [31:0]         out_state,
    output logic                out_match,
    output logic [TAG_BITS-1:0] out_tag
);
  localparam int LANES = (BYTES + LATENCY - 1) / LATENCY;  // lanes folded per stage

  // One byte into the reflected register, bit-serial; synthesis flattens it into XOR trees.
  function automatic logic [31:0] crc_byte(input logic [31:0] crc, input logic [7:0] b);
    logic [31:0] c;
    c = crc ^ {24'b0, b};
    for (int k = 0; k < 8; k++) c = (c >> 1) ^ (32'h82F63B78 & {32{c[0]}});
    return c;
  endfunction

  // Index s holds what enters stage s: 0 is the input ports, LATENCY the output registers.
  // v_q and crc are public so that waveforms can show them (hw/common/RtlTrace).
  logic [LATENCY:1]    v_q /*verilator public_flat_rd*/;  // valid registers
  logic [LATENCY:0]    v;
  logic [31:0]         crc   [LATENCY+1] /*verilator public_flat_rd*/;
  logic                last  [LATENCY+1];
  logic [31:0]         digest[LATENCY+1];
  logic [TAG_BITS-1:0] tag   [LATENCY+1];
  // Beat bytes and enables are only needed by the stages that still have lanes to fold.
  logic [BYTES*8-1:0]  data  [LATENCY];
  logic [BYTES-1:0]    keep  [LATENCY];

  assign v = {v_q, in_valid};
  assign crc[0] = in_first ? 32'hFFFFFFFF : in_state;
  assign data[0] = in_data;
  assign keep[0] = in_keep;
  assign last[0] = in_last;
  assign digest[0] = in_digest;
  assign tag[0] = in_tag;

  for (genvar s = 0; s < LATENCY; s++) begin : g_stage
    // This stage folds lanes [FIRST, FIRST + N) of the beat.
    localparam int FIRST = s * LANES;
    localparam int N = BYTES - FIRST < LANES ? BYTES - FIRST : LANES;
    logic [31:0] folded;
    always_comb begin
      folded = crc[s];
      for (int l = FIRST; l < FIRST + N; l++)
        if (keep[s][l]) folded = crc_byte(folded, data[s][8*l+:8]);
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
          crc[s+1] <= folded;
          last[s+1] <= last[s];
          digest[s+1] <= digest[s];
          tag[s+1] <= tag[s];
        end
      end
    end

    if (s + 1 < LATENCY) begin : g_carry
      always_ff @(posedge clk) begin
        if (v[s]) begin
          data[s+1] <= data[s];
          keep[s+1] <= keep[s];
        end
      end
    end
  end

  assign out_valid = v[LATENCY];
  assign out_state = crc[LATENCY];
  assign out_match = v[LATENCY] & last[LATENCY] & ((crc[LATENCY] ^ 32'hFFFFFFFF) == digest[LATENCY]);
  assign out_tag = tag[LATENCY];
endmodule
