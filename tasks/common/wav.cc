// tasks/common/wav.cc: the RIFF/WAVE parser and the 16-bit writer (see wav.h).
#include "tasks/common/wav.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "engine/check.h"
#include "engine/io/atomic_file.h"
#include "engine/io/byte_io.h"

namespace nb360::tasks {
namespace {

constexpr uint16_t kFormatPcm = 1;
constexpr uint16_t kFormatFloat = 3;
constexpr uint16_t kFormatExtensible = 0xFFFE;

struct Format {
  uint16_t code = 0;  // PCM or float after unwrapping EXTENSIBLE
  int channels = 0;
  int sample_rate = 0;
  int bits = 0;
};

absl::Status Error(absl::string_view name, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(name, ": ", what));
}

absl::StatusOr<Format> ParseFmt(std::string_view chunk, uint64_t at, absl::string_view name) {
  if (chunk.size() < 16) {
    return Error(name, absl::StrCat("fmt chunk at byte ", at, " has ", chunk.size(), " bytes (at least 16)"));
  }
  const char* p = chunk.data();
  Format f;
  f.code = io::GetLE<uint16_t>(p);
  f.channels = io::GetLE<uint16_t>(p + 2);
  const uint32_t rate = io::GetLE<uint32_t>(p + 4);
  f.bits = io::GetLE<uint16_t>(p + 14);
  if (f.code == kFormatExtensible) {
    if (chunk.size() < 40) {
      return Error(name, absl::StrCat("WAVE_FORMAT_EXTENSIBLE fmt chunk has ", chunk.size(), " bytes (need 40)"));
    }
    f.code = io::GetLE<uint16_t>(p + 24);  // first two bytes of the SubFormat GUID
  }
  if (f.code != kFormatPcm && f.code != kFormatFloat) {
    return Error(name, absl::StrCat("unsupported WAV format code 0x", absl::Hex(f.code),
                                    " (only PCM and IEEE float)"));
  }
  if (f.channels == 0) return Error(name, "fmt chunk declares 0 channels");
  if (rate == 0 || rate > 10'000'000) return Error(name, absl::StrCat("implausible sample rate ", rate));
  f.sample_rate = static_cast<int>(rate);
  const bool ok_bits = f.code == kFormatPcm ? (f.bits == 8 || f.bits == 16 || f.bits == 24 || f.bits == 32)
                                            : (f.bits == 32 || f.bits == 64);
  if (!ok_bits) {
    return Error(name, absl::StrCat("unsupported ", f.code == kFormatPcm ? "PCM" : "float", " sample size ",
                                    f.bits, " bits"));
  }
  return f;
}

float Sample(const char* p, const Format& f) {
  switch (f.bits) {
    case 8: return (static_cast<int>(static_cast<uint8_t>(*p)) - 128) / 128.0f;
    case 16: return static_cast<int16_t>(io::GetLE<uint16_t>(p)) / 32768.0f;
    case 24: {
      int32_t v = static_cast<uint8_t>(p[0]) | static_cast<uint8_t>(p[1]) << 8 | static_cast<uint8_t>(p[2]) << 16;
      if (v & 0x800000) v -= 0x1000000;  // sign-extend
      return static_cast<float>(v / 8388608.0);
    }
    case 32:
      if (f.code == kFormatFloat) {
        const uint32_t bits = io::GetLE<uint32_t>(p);
        float v;
        std::memcpy(&v, &bits, 4);
        return v;
      }
      return static_cast<float>(static_cast<int32_t>(io::GetLE<uint32_t>(p)) / 2147483648.0);
    default: {
      const uint64_t bits = io::GetLE<uint64_t>(p);
      double v;
      std::memcpy(&v, &bits, 8);
      return static_cast<float>(v);
    }
  }
}

}  // namespace

absl::StatusOr<Wav> ParseWav(std::string_view bytes, std::string_view name_sv) {
  const absl::string_view name(name_sv.data(), name_sv.size());
  if (bytes.size() < 12 || bytes.substr(0, 4) != "RIFF" || bytes.substr(8, 4) != "WAVE") {
    if (bytes.size() >= 4 && (bytes.substr(0, 4) == "RF64" || bytes.substr(0, 4) == "BW64")) {
      return absl::UnimplementedError(absl::StrCat(name, ": RF64/BW64 WAV files are not supported"));
    }
    return Error(name, "not a RIFF/WAVE file (no 'RIFF....WAVE' header)");
  }
  std::optional<Format> fmt;
  uint64_t pos = 12;
  while (bytes.size() - pos >= 8) {
    const std::string_view id = bytes.substr(pos, 4);
    const uint64_t size = io::GetLE<uint32_t>(bytes.data() + pos + 4);
    const uint64_t body = pos + 8;
    const uint64_t avail = bytes.size() - body;
    if (id == "fmt ") {
      if (size > avail) return Error(name, absl::StrCat("fmt chunk at byte ", pos, " runs past the end of the file"));
      absl::StatusOr<Format> f = ParseFmt(bytes.substr(body, size), pos, name);
      if (!f.ok()) return f.status();
      fmt = *f;
    } else if (id == "data") {
      if (!fmt.has_value()) return Error(name, absl::StrCat("data chunk at byte ", pos, " comes before any fmt chunk"));
      const int sample_bytes = fmt->bits / 8;
      const uint64_t frame_bytes = static_cast<uint64_t>(sample_bytes) * fmt->channels;
      Wav wav;
      wav.sample_rate = fmt->sample_rate;
      wav.channels = fmt->channels;
      wav.truncated = size > avail;
      const uint64_t frames = std::min(size, avail) / frame_bytes;
      if (wav.truncated && frames == 0) {
        return Error(name, absl::StrCat("data chunk at byte ", pos, " declares ", size, " bytes but only ", avail,
                                        " follow (not one whole frame)"));
      }
      wav.samples.resize(frames * fmt->channels);
      const char* p = bytes.data() + body;
      for (size_t i = 0; i < wav.samples.size(); ++i) wav.samples[i] = Sample(p + i * sample_bytes, *fmt);
      return wav;
    }
    if (size + (size & 1) >= avail) break;  // the last chunk (possibly cut short) is not the data chunk
    pos = body + size + (size & 1);
  }
  return Error(name, fmt.has_value() ? "no data chunk" : "no fmt chunk");
}

absl::StatusOr<Wav> ReadWav(const std::string& path) {
  absl::StatusOr<std::string> bytes = io::ReadFile(path);
  if (!bytes.ok()) return bytes.status();
  return ParseWav(*bytes, path);
}

std::vector<float> ToMono(const Wav& wav) {
  if (wav.channels <= 1) return wav.samples;
  const int64_t frames = wav.frames();
  std::vector<float> mono(frames);
  for (int64_t f = 0; f < frames; ++f) {
    double sum = 0;
    for (int c = 0; c < wav.channels; ++c) sum += wav.samples[f * wav.channels + c];
    mono[f] = static_cast<float>(sum / wav.channels);
  }
  return mono;
}

std::string SerializeWav16(const std::vector<float>& samples, int sample_rate, int channels) {
  NB_CHECK(channels > 0 && samples.size() % channels == 0, "SerializeWav16: ", samples.size(),
           " samples do not fill frames of ", channels, " channels");
  const uint32_t data_bytes = static_cast<uint32_t>(samples.size() * 2);
  std::string out = "RIFF";
  io::PutLE<uint32_t>(&out, 36 + data_bytes);
  out += "WAVEfmt ";
  io::PutLE<uint32_t>(&out, 16);
  io::PutLE<uint16_t>(&out, kFormatPcm);
  io::PutLE<uint16_t>(&out, static_cast<uint16_t>(channels));
  io::PutLE<uint32_t>(&out, static_cast<uint32_t>(sample_rate));
  io::PutLE<uint32_t>(&out, static_cast<uint32_t>(sample_rate * channels * 2));
  io::PutLE<uint16_t>(&out, static_cast<uint16_t>(channels * 2));
  io::PutLE<uint16_t>(&out, 16);
  out += "data";
  io::PutLE<uint32_t>(&out, data_bytes);
  for (float v : samples) {
    const double clean = std::isnan(v) ? 0.0 : std::clamp(static_cast<double>(v), -1.0, 1.0);
    const double scaled = std::nearbyint(clean * 32768.0);
    const int16_t s = static_cast<int16_t>(std::clamp(scaled, -32768.0, 32767.0));
    io::PutLE<uint16_t>(&out, static_cast<uint16_t>(s));
  }
  return out;
}

}  // namespace nb360::tasks
