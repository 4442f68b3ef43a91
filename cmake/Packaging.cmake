# The Debian package (CPack DEB): `cpack -G DEB --config build/CPackConfig.cmake`
# after a full build (the binary and the dashboard), or the `package` target.
#
#   /usr/bin/docrunch
#   /usr/share/docrunch/web/                 the dashboard (serve finds it there)
#   /usr/share/docrunch/deploy/              nginx site, compose file, env example
#   /usr/lib/systemd/system/docrunch-*.service
#   /usr/share/doc/docrunch/hosting.md
#
# postinst creates the `docrunch` system user, /var/lib/docrunch and
# /etc/docrunch; it enables and starts nothing (docs/hosting.md does).
# tests/deploy/package.test.mjs (ctest -L package) builds and installs it.
include(GNUInstallDirs)

install(TARGETS docrunch RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${CMAKE_BINARY_DIR}/web/ DESTINATION ${CMAKE_INSTALL_DATADIR}/docrunch/web)
install(FILES
    ${PROJECT_SOURCE_DIR}/deploy/systemd/docrunch-serve.service
    ${PROJECT_SOURCE_DIR}/deploy/systemd/docrunch-worker@.service
    ${PROJECT_SOURCE_DIR}/deploy/systemd/docrunch-cli-proxy.service
  DESTINATION lib/systemd/system)
install(FILES
    ${PROJECT_SOURCE_DIR}/deploy/compose.yaml
    ${PROJECT_SOURCE_DIR}/deploy/Dockerfile
    ${PROJECT_SOURCE_DIR}/deploy/docrunch.env.example
  DESTINATION ${CMAKE_INSTALL_DATADIR}/docrunch/deploy)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/nginx/docrunch.conf
  DESTINATION ${CMAKE_INSTALL_DATADIR}/docrunch/deploy/nginx)
install(FILES ${PROJECT_SOURCE_DIR}/docs/hosting.md DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME docrunch)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "Docrunch maintainers <docrunch@example.com>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "Project memory and task pipeline for AI coding agents (MCP, REST, dashboard)")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
# The libraries' packages from dpkg-shlibdeps, plus what the scripts use.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "nginx, postgresql-15, redis-server, postgresql-client-15")
# zstd: as small as xz, several times faster to build and unpack.
set(CPACK_DEBIAN_COMPRESSION_TYPE zstd)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${PROJECT_SOURCE_DIR}/deploy/debian/postinst
  ${PROJECT_SOURCE_DIR}/deploy/debian/prerm
  ${PROJECT_SOURCE_DIR}/deploy/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
