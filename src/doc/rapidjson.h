// The RapidJSON headers the project uses, included in one place.
//
// RapidJSON 1.1's internal::Stack computes `nullptr + n` before its first allocation,
// which clang's -fsanitize=pointer-overflow reports (and -fno-sanitize-recover turns into
// an abort). It is benign in practice; that one check is silenced for RapidJSON's code only.
#pragma once

#if defined(__clang__)
#pragma clang attribute push(__attribute__((no_sanitize("pointer-overflow"))), apply_to = function)
#endif
#include <rapidjson/encodings.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#if defined(__clang__)
#pragma clang attribute pop
#endif
