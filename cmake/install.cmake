# `cmake --install` (issue 16, "Embeddable"): the libraries up to the SystemC NIC with their
# headers and a CMake package, so a virtual platform can take the NIC with
# find_package(nicsim) and nicsim::hw (examples/, README "Embedding nicsim"); and the nicsim
# command. The host driver and the testbench stay inside the project.
include(CMakePackageConfigHelpers)

set(NICSIM_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/nicsim)

# Imported as nicsim::<name>, the layers of docs/architecture.md.
set_target_properties(nicutil PROPERTIES EXPORT_NAME util)
set_target_properties(nicproto PROPERTIES EXPORT_NAME proto)
set_target_properties(nichw_logic PROPERTIES EXPORT_NAME hw_logic)
set_target_properties(nicrtl PROPERTIES EXPORT_NAME rtl)
set_target_properties(nichw PROPERTIES EXPORT_NAME hw)
install(TARGETS nicutil nicproto nichw_logic nicrtl nichw EXPORT nicsim-targets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(EXPORT nicsim-targets NAMESPACE nicsim:: DESTINATION ${NICSIM_CMAKE_DIR})

# Whole folders, matched at install time: installed headers include each other as "hw/...",
# "proto/...", "util/..." as in the source tree, wherever a file moves to.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/util ${PROJECT_SOURCE_DIR}/proto ${PROJECT_SOURCE_DIR}/hw
  DESTINATION ${NICSIM_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.hpp")

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/nicsim-config.cmake.in
  ${PROJECT_BINARY_DIR}/nicsim-config.cmake INSTALL_DESTINATION ${NICSIM_CMAKE_DIR})
# Before 1.0 a minor version may change the interface.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/nicsim-config-version.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/nicsim-config.cmake
  ${PROJECT_BINARY_DIR}/nicsim-config-version.cmake DESTINATION ${NICSIM_CMAKE_DIR})

install(TARGETS nicsim RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/configs/
  DESTINATION ${CMAKE_INSTALL_DATADIR}/nicsim/configs)
