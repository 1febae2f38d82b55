# Sanitizer builds. IRSP_SANITIZE: the whole tree under AddressSanitizer and
# UndefinedBehaviorSanitizer, to run the test suite with them (tests/sanitize.sh
# sets the runtime options that make every report fail its test). IRSP_FUZZ: the
# same plus libFuzzer's instrumentation, clang only, for the fuzz targets
# (tests/fuzz/CMakeLists.txt builds it; tests/fuzz/README.md).
option(IRSP_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
option(IRSP_FUZZ "Build the libFuzzer targets only (clang; see tests/fuzz/README.md)" OFF)
if(IRSP_SANITIZE OR IRSP_FUZZ)
  # Frame pointers keep the reports' stacks whole at little cost.
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
if(IRSP_FUZZ)
  # Undefined behaviour must crash a fuzzer so that libFuzzer keeps the input.
  # The test suite's build instead recovers, so that the suppression file can
  # let CAF's one known report through and halt_on_error stops at any other.
  add_compile_options(-fsanitize=fuzzer-no-link -fno-sanitize-recover=undefined)
endif()
