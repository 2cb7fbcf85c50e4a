// Kōra C++: an embeddable, multi-threaded, shared-nothing cache and document engine.
// This umbrella header brings in the whole public API; everything is in namespace kora.
#pragma once

#include "kora/config.h"    // IWYU pragma: export
#include "kora/database.h"  // IWYU pragma: export
#include "kora/document.h"  // IWYU pragma: export
#include "kora/status.h"    // IWYU pragma: export
