# Install rules: headers, the library, an exported CMake package (namespace vaednn::) and a
# pkg-config file. The same package is also exported from the build tree.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(VAEDNN_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/vaednn")

install(
  TARGETS vaednn
  EXPORT vaednnTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/vaednn" DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(
  EXPORT vaednnTargets
  NAMESPACE vaednn::
  DESTINATION ${VAEDNN_CMAKE_DIR})

configure_package_config_file(
  "${PROJECT_SOURCE_DIR}/cmake/vaednnConfig.cmake.in" "${PROJECT_BINARY_DIR}/vaednnConfig.cmake"
  INSTALL_DESTINATION ${VAEDNN_CMAKE_DIR})
write_basic_package_version_file("${PROJECT_BINARY_DIR}/vaednnConfigVersion.cmake"
                                 COMPATIBILITY SameMinorVersion)
install(FILES "${PROJECT_BINARY_DIR}/vaednnConfig.cmake"
              "${PROJECT_BINARY_DIR}/vaednnConfigVersion.cmake" DESTINATION ${VAEDNN_CMAKE_DIR})

configure_file("${PROJECT_SOURCE_DIR}/cmake/vaednn.pc.in" "${PROJECT_BINARY_DIR}/vaednn.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/vaednn.pc" DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig")

# Build-tree export, so a consumer can point vaednn_DIR at the build folder without installing.
export(
  EXPORT vaednnTargets
  NAMESPACE vaednn::
  FILE "${PROJECT_BINARY_DIR}/vaednnTargets.cmake")

if(TARGET vae_train)
  install(TARGETS vae_train vae_sample RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
