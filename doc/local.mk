# The user documentation: the command and the configuration file.
dist_man_MANS += %reldir%/vea.1 %reldir%/vea.conf.5
