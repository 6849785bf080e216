# Every third-party dependency, found once, used through its imported target.
# All of them are Debian 12 packages; scripts/setup.sh installs them.

# vaednn::formats (all a fuzz build needs).
find_package(fmt REQUIRED CONFIG)
find_package(ZLIB REQUIRED)
find_package(nlohmann_json 3 REQUIRED CONFIG)
if(VAEDNN_FUZZ)
  return()
endif()

# vaednn::vaednn.
# oneDNN 2.6's package config calls find_package(OpenCL) even for the CPU-only build, so
# ocl-icd-opencl-dev and opencl-c-headers must be present just to configure.
find_package(dnnl 2.6 REQUIRED CONFIG)
find_package(TBB REQUIRED CONFIG)
find_package(OpenMP REQUIRED)
find_package(Threads REQUIRED)
# Data parallel across processes (lib/dist/): the C API of Debian's Open MPI (libopenmpi-dev),
# found through the CXX component (the project compiles C++ only) without the long-removed C++
# bindings (libmpi_cxx).
if(VAEDNN_WITH_MPI)
  set(MPI_CXX_SKIP_MPICXX ON)
  find_package(MPI COMPONENTS CXX)
  if(NOT MPI_CXX_FOUND)
    message(FATAL_ERROR "VAEDNN_WITH_MPI is ON but no MPI was found: install libopenmpi-dev "
                        "(scripts/setup.sh does) or configure with -DVAEDNN_WITH_MPI=OFF")
  endif()
endif()
# vaednn::figures: cairo draws the figures (loss curves, image grids) and writes them as PNG; it
# ships no CMake package, only a pkg-config file.
find_package(PkgConfig REQUIRED)
pkg_check_modules(CAIRO REQUIRED IMPORTED_TARGET cairo)

if(VAEDNN_BUILD_APPS)
  find_package(CLI11 REQUIRED CONFIG)
endif()
if(VAEDNN_BUILD_TESTS)
  find_package(GTest REQUIRED CONFIG)
endif()
if(VAEDNN_BUILD_BENCH)
  find_package(benchmark REQUIRED CONFIG)
endif()
