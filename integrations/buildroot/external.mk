include $(sort $(wildcard $(BR2_EXTERNAL_KMSIGN_PATH)/package/*/*.mk))
